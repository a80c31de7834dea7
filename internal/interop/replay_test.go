package interop

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientsDir holds the recorded sequences, at the module root.
const clientsDir = "../../testdata/clients"

// TestRecordedClients replays every testdata/clients/*.txt against its own
// fresh server: each exchange must get its status, headers and properties.
// The files are written from each client's documented behaviour, not
// recorded from atomdav, so there is deliberately no -update flag: a
// regenerated file would only prove that the server agrees with itself.
func TestRecordedClients(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(clientsDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no sequence in %s", clientsDir)
	}
	sort.Strings(files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			seq, err := parseSequence(filepath.Base(file), f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if seq.user == "" {
				replay(t, startServer(t), seq)
				return
			}
			replay(t, startUserServer(t, seq.user, seq.password), seq)
		})
	}
}

// replay runs the exchanges in order and stops at the first that fails:
// later ones build on it.
func replay(t *testing.T, s *server, seq *sequence) {
	vars := map[string]string{"host": s.Addr, "base": s.URL}
	if seq.user != "" {
		vars["user"] = seq.user
		vars["auth"] = basicAuth(seq.user, seq.password)[1]
	}
	for i, ex := range seq.exchanges {
		resp, raw, err := send(s, ex, vars)
		if err != nil {
			t.Fatalf("%s:%d exchange %d %q: %v", seq.name, ex.line, i+1, ex.title, err)
		}
		if problems := verify(ex, resp, vars); len(problems) > 0 {
			t.Fatalf("%s:%d exchange %d %q:\n  %s\nrequest:\n%s\nresponse:\n%s",
				seq.name, ex.line, i+1, ex.title, strings.Join(problems, "\n  "), indent(raw), indent(resp.dump()))
		}
	}
}

// wireResponse is a response as read off the connection.
type wireResponse struct {
	status int
	header http.Header
	body   []byte
}

// dump renders the response for a failure message.
func (r wireResponse) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", statusText(r.status))
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(r.header[k], ", "))
	}
	b.WriteString("\n")
	b.Write(r.body)
	return b.String()
}

// send writes the request verbatim on a new connection: headers in the
// file's order and spelling, a Lock-Token without brackets, a PUT with no
// Content-Length at all, a chunked body (one chunk per line). It adds
// only Host, and Content-Length for a non-empty body that names none.
func send(s *server, ex *exchange, vars map[string]string) (wireResponse, string, error) {
	target, err := expand(ex.target, vars, false)
	if err != nil {
		return wireResponse{}, "", err
	}
	body, err := expand(ex.body, vars, false)
	if err != nil {
		return wireResponse{}, "", err
	}
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\n", ex.method, target)
	if _, ok := ex.header("Host"); !ok {
		fmt.Fprintf(&req, "Host: %s\r\n", s.Addr)
	}
	for _, h := range ex.headers {
		v, err := expand(h[1], vars, false)
		if err != nil {
			return wireResponse{}, "", err
		}
		if strings.EqualFold(h[0], "Content-Length") && v != strconv.Itoa(len(body)) {
			return wireResponse{}, "", fmt.Errorf("Content-Length %s but the body has %d bytes", v, len(body))
		}
		fmt.Fprintf(&req, "%s: %s\r\n", h[0], v)
	}
	_, hasLength := ex.header("Content-Length")
	if body != "" && !hasLength && !ex.chunked() {
		fmt.Fprintf(&req, "Content-Length: %d\r\n", len(body))
	}
	req.WriteString("\r\n")
	if ex.chunked() {
		for _, line := range strings.SplitAfter(body, "\n") {
			if line != "" {
				fmt.Fprintf(&req, "%x\r\n%s\r\n", len(line), line)
			}
		}
		req.WriteString("0\r\n\r\n")
	} else {
		req.WriteString(body)
	}
	raw := req.String()

	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		return wireResponse{}, raw, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		return wireResponse{}, raw, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: ex.method})
	if err != nil {
		return wireResponse{}, raw, fmt.Errorf("reading the response: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return wireResponse{}, raw, fmt.Errorf("reading the response body: %w", err)
	}
	return wireResponse{status: resp.StatusCode, header: resp.Header, body: b}, raw, nil
}

// verify returns what in resp does not meet ex's expectations; captures
// are stored in vars.
func verify(ex *exchange, resp wireResponse, vars map[string]string) []string {
	if resp.status != ex.status {
		return []string{fmt.Sprintf("status %s, want %s", statusText(resp.status), statusText(ex.status))}
	}
	var problems []string
	var ms []msResponse
	var msErr error
	multistatus := func() ([]msResponse, error) {
		if ms == nil && msErr == nil {
			ms, msErr = parseMultistatus(resp.body)
		}
		return ms, msErr
	}
	for _, c := range ex.checks {
		if err := verifyOne(ex, c, resp, vars, multistatus); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", c.line, err))
		}
	}
	return problems
}

// verifyOne checks one expectation.
func verifyOne(ex *exchange, c check, resp wireResponse, vars map[string]string, multistatus func() ([]msResponse, error)) error {
	value, err := expand(c.value, vars, c.op == "~" || c.op == "!~")
	if err != nil {
		return err
	}
	switch c.kind {
	case checkHeader:
		got, present := strings.Join(resp.header.Values(c.name), ", "), len(resp.header.Values(c.name)) > 0
		switch {
		case c.op == "absent" && present:
			return fmt.Errorf("header %s: %q, want none", c.name, got)
		case c.op == "absent":
			return nil
		case !present:
			return fmt.Errorf("no header %s", c.name)
		}
		return compare("header "+c.name, got, c.op, value)
	case checkBody:
		if c.op == "empty" {
			if len(resp.body) != 0 {
				return fmt.Errorf("body has %d bytes, want none", len(resp.body))
			}
			return nil
		}
		return compare("body", strings.TrimSuffix(string(resp.body), "\n"), c.op, value)
	case checkElement:
		root, err := parseXML(resp.body)
		if err != nil {
			return fmt.Errorf("body is not XML: %v", err)
		}
		switch found := root.find(c.prop) != nil; {
		case c.op == "present" && !found:
			return fmt.Errorf("no element %s in the body", clark(c.prop))
		case c.op == "absent" && found:
			return fmt.Errorf("an element %s in the body, want none", clark(c.prop))
		}
		return nil
	case checkCapture:
		return capture(ex, c, resp, vars, multistatus)
	}
	resps, err := multistatus()
	if err != nil {
		return err
	}
	if c.kind == checkHref {
		_, err := pick(resps, value, "")
		switch {
		case c.op == "present" && err != nil:
			return err
		case c.op == "absent" && err == nil:
			return fmt.Errorf("a DAV:response for %s, want none", value)
		}
		return nil
	}
	href, err := expand(c.href, vars, false)
	if err != nil {
		return err
	}
	r, err := pick(resps, href, targetPath(ex, vars))
	if err != nil {
		return err
	}
	return verifyProp(r, c, value)
}

// verifyProp checks one property of a DAV:response.
func verifyProp(r msResponse, c check, value string) error {
	p, ok := r.props[c.prop]
	if !ok {
		return fmt.Errorf("%s: no %s in any propstat", r.href, clark(c.prop))
	}
	what := r.href + " " + clark(c.prop)
	switch c.op {
	case "status":
		if want, _ := strconv.Atoi(value); p.status != want {
			return fmt.Errorf("%s: status %s, want %s", what, statusText(p.status), statusText(want))
		}
		return nil
	case "has":
		child, _ := parseClark(value)
		if p.status != http.StatusOK || p.el.child(child) == nil {
			return fmt.Errorf("%s (status %d): no child %s", what, p.status, value)
		}
		return nil
	}
	if p.status != http.StatusOK {
		return fmt.Errorf("%s: status %s, want 200 OK with a value", what, statusText(p.status))
	}
	return compare(what, p.el.content(), c.op, value)
}

// capture stores a header's or property's value, or the first group of
// the regexp matching it.
func capture(ex *exchange, c check, resp wireResponse, vars map[string]string, multistatus func() ([]msResponse, error)) error {
	var got string
	if c.from == "header" {
		if len(resp.header.Values(c.source)) == 0 {
			return fmt.Errorf("set %s: no header %s", c.name, c.source)
		}
		got = resp.header.Get(c.source)
	} else {
		resps, err := multistatus()
		if err != nil {
			return err
		}
		r, err := pick(resps, "", targetPath(ex, vars))
		if err != nil {
			return err
		}
		p, ok := r.props[c.prop]
		if !ok || p.status != http.StatusOK {
			return fmt.Errorf("set %s: %s has no %s", c.name, r.href, clark(c.prop))
		}
		got = p.el.content()
	}
	if c.value != "" {
		m := regexp.MustCompile(c.value).FindStringSubmatch(got)
		switch {
		case m == nil:
			return fmt.Errorf("set %s: %q does not match %s", c.name, got, c.value)
		case len(m) > 1:
			got = m[1]
		default:
			got = m[0]
		}
	}
	vars[c.name] = got
	return nil
}

// compare checks got against an exact value or a regexp ("~" must match,
// "!~" must not).
func compare(what, got, op, want string) error {
	if op == "~" || op == "!~" {
		re, err := regexp.Compile(want)
		if err != nil {
			return fmt.Errorf("%s: %v", what, err)
		}
		switch m := re.MatchString(got); {
		case op == "~" && !m:
			return fmt.Errorf("%s: %q does not match %s", what, got, want)
		case op == "!~" && m:
			return fmt.Errorf("%s: %q matches %s, want no match", what, got, want)
		}
		return nil
	}
	if got != want {
		return fmt.Errorf("%s: %q, want %q", what, got, want)
	}
	return nil
}

// targetPath is the request target with placeholders filled in.
func targetPath(ex *exchange, vars map[string]string) string {
	p, err := expand(ex.target, vars, false)
	if err != nil {
		return ex.target
	}
	return p
}

// indent shortens and indents a message for a failure report.
func indent(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if len(s) > 4000 {
		s = s[:4000] + "\n…"
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

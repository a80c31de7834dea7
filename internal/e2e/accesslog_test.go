package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
)

// hostileUA is a User-Agent that tries to end its field and forge the rest
// of a line: quotes, a backslash, a byte that is not ASCII, a tab. (HTTP
// itself lets no newline into a header value: a folded continuation line
// arrives joined by a space.)
const hostileUA = "evil\" 200 1 \"-\" \"x\\\"\xff\tz"

// hostileUAEscaped is hostileUA as Apache's log escaping writes it.
const hostileUAEscaped = `evil\" 200 1 \"-\" \"x\\\"\xff\tz`

// combinedRE matches one line of Apache's combined log format, capturing
// %h, %u, %t, %r, %>s, %b, Referer and User-Agent. Quoted fields are
// sequences of escapes or bytes other than '"' and '\'.
var combinedRE = regexp.MustCompile(`^(\S+) - (\S+) \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$`)

// logLines waits until path holds n lines (the access log writes behind
// the answers) besides those of the start-up probe, and returns them.
func logLines(t *testing.T, path string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		lines := requestLines(b)
		if len(lines) >= n || time.Now().After(deadline) {
			if len(lines) != n {
				t.Fatalf("%s has %d lines, want %d:\n%s", path, len(lines), n, b)
			}
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// requestLines splits an access log into its lines, leaving out those of
// the OPTIONS / by which the tests see that the server is up.
func requestLines(b []byte) []string {
	var lines []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" && !strings.Contains(l, `"OPTIONS / HTTP/1.1"`) && !strings.Contains(l, `"method":"OPTIONS","uri":"/"`) {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	return lines
}

// TestAccessLogCombined: with access-log FILE every request is one line
// of Apache's combined format: the authenticated user (or -), the request
// line, the final status, the body's bytes (- for none), the Referer and
// the User-Agent, with what the client chose escaped so that it cannot end
// its field or forge a line; %h is the client a trusted proxy names. The
// server log then has no request lines of its own.
func TestAccessLogCombined(t *testing.T) {
	t.Parallel()
	logFile := filepath.Join(t.TempDir(), "access.log")
	s := startAuthServer(t, authTree(t), "--config", authConfig(t), "--access-log", logFile, "--trusted-proxies", "127.0.0.1")
	alice := basicCreds("alice", alicePassword)
	want(t, s.do(t, "PUT", "/a.txt", "x"), http.StatusUnauthorized, "PUT without credentials")
	want(t, s.do(t, "PUT", "/a.txt", "hello", withHeaders(alice, "User-Agent", hostileUA, "Referer", `http://ref.example/"q`)...), http.StatusCreated, "PUT as alice")
	want(t, s.do(t, "GET", "/a.txt", "", withHeaders(alice, "User-Agent", "", "X-Forwarded-For", "198.51.100.9")...), http.StatusOK, "GET as alice through a proxy")
	raw := s.rawRequest(t, "GET /a%22b\"c\\d HTTP/1.1\r\nHost: "+s.Addr+"\r\nUser-Agent: folded\r\n \"forged\r\nConnection: close\r\n\r\n")
	lines := logLines(t, logFile, 4)

	wants := [][]string{ // user, request line, status, bytes, referer, user agent
		{"-", "PUT /a.txt HTTP/1.1", "401", "", "-", "Go-http-client/1.1"},
		{"alice", "PUT /a.txt HTTP/1.1", "201", "-", `http://ref.example/\"q`, hostileUAEscaped},
		{"alice", "GET /a.txt HTTP/1.1", "200", "5", "-", "-"},
		{"-", `GET /a%22b\"c\\d HTTP/1.1`, fmt.Sprint(raw.Status), "", "-", `folded \"forged`},
	}
	for i, line := range lines {
		m := combinedRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d is not in the combined format: %q", i+1, line)
		}
		w := wants[i]
		if w[3] == "" { // a body whose length the test does not fix
			w[3] = m[6]
			if m[6] == "-" || m[6] == "0" {
				t.Errorf("line %d: %%b is %q for an answer with a body", i+1, m[6])
			}
		}
		got := []string{m[2], m[4], m[5], m[6], m[7], m[8]}
		if strings.Join(got, "\x00") != strings.Join(w, "\x00") {
			t.Errorf("line %d: %q\n got user, request, status, bytes, referer, agent %q\nwant %q", i+1, line, got, w)
		}
		if host := map[bool]string{true: "198.51.100.9", false: "127.0.0.1"}[i == 2]; m[1] != host {
			t.Errorf("line %d: %%h is %q, want %s", i+1, m[1], host)
		}
		if _, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[3]); err != nil {
			t.Errorf("line %d: %%t %q: %v", i+1, m[3], err)
		}
	}
	s.Stop()
	if strings.Contains(s.proc.Log(), "msg=request") {
		t.Errorf("with an access log the server log still logs each request:\n%s", s.Output())
	}
}

// TestAccessLogJSON: access-log-format json writes the same fields as one
// JSON object a line, plus the duration and the request id the answer
// carried in X-Request-Id; hostile bytes stay inside their string.
func TestAccessLogJSON(t *testing.T) {
	t.Parallel()
	logFile := filepath.Join(t.TempDir(), "access.json")
	s := startAuthServer(t, authTree(t), "--config", authConfig(t), "--access-log", logFile, "--access-log-format", "json")
	r := s.do(t, "GET", "/top.txt", "", withHeaders(basicCreds("alice", alicePassword), "User-Agent", hostileUA)...)
	want(t, r, http.StatusOK, "GET as alice")
	lines := logLines(t, logFile, 1)
	var e struct {
		Time, Host, User, Method, URI, Proto, Referer, ID string
		Agent                                             string  `json:"user_agent"`
		Status                                            int     `json:"status"`
		Bytes                                             int64   `json:"bytes"`
		Duration                                          float64 `json:"duration_ms"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
		t.Fatalf("%q is not one JSON object: %v", lines[0], err)
	}
	wantAgent := strings.ToValidUTF8(hostileUA, "\uFFFD")
	if e.Host != "127.0.0.1" || e.User != "alice" || e.Method != "GET" || e.URI != "/top.txt" || e.Proto != "HTTP/1.1" ||
		e.Status != 200 || e.Bytes != int64(len("top secret")) || e.Referer != "" || e.Agent != wantAgent ||
		e.ID != r.Header.Get("X-Request-Id") || e.ID == "" || e.Duration <= 0 {
		t.Errorf("JSON line %s\ndecoded as %+v", lines[0], e)
	}
	if _, err := time.Parse(time.RFC3339, e.Time); err != nil {
		t.Errorf("time %q: %v", e.Time, err)
	}
}

// TestAccessLogReopen: logrotate's way — move the file away, then SIGHUP —
// makes the server write the lines to come to a new file of the old name,
// while requests keep coming: each request is logged once, in one of the
// two files, none lost; those made after the reopen are in the new file.
func TestAccessLogReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "access.log")
	s := startServer(t, t.TempDir(), "--access-log", logFile)
	for i := range 5 {
		want(t, s.do(t, "GET", fmt.Sprintf("/before-%d", i), ""), http.StatusNotFound, "GET")
	}
	logLines(t, logFile, 5)
	var (
		wg      sync.WaitGroup
		stop    = make(chan struct{})
		mu      sync.Mutex
		during  int
		errSeen error
	)
	wg.Add(1)
	go func() { // traffic across the rotation
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.send("GET", fmt.Sprintf("/during-%d", i), ""); err != nil {
				mu.Lock()
				errSeen = err
				mu.Unlock()
				return
			}
			mu.Lock()
			during++
			mu.Unlock()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	if err := os.Rename(logFile, logFile+".1"); err != nil {
		t.Fatal(err)
	}
	if err := s.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s, "access log reopened")
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if errSeen != nil {
		t.Fatalf("a request during the rotation failed: %v", errSeen)
	}
	for i := range 5 {
		want(t, s.do(t, "GET", fmt.Sprintf("/after-%d", i), ""), http.StatusNotFound, "GET")
	}
	s.Stop() // writes the last lines
	old, cur := readLines(t, logFile+".1"), readLines(t, logFile)
	seen := map[string]int{}
	for _, l := range append(append([]string{}, old...), cur...) {
		m := combinedRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a combined line: %q", l)
		}
		seen[strings.Fields(m[4])[1]]++
	}
	if len(old)+len(cur) != 10+during || len(seen) != 10+during {
		t.Errorf("%d + %d lines for %d distinct paths, want %d requests each logged once", len(old), len(cur), len(seen), 10+during)
	}
	for i := range 5 {
		if !strings.Contains(strings.Join(old, "\n"), fmt.Sprintf(" /before-%d ", i)) {
			t.Errorf("/before-%d is not in the rotated file", i)
		}
		if !strings.Contains(strings.Join(cur, "\n"), fmt.Sprintf(" /after-%d ", i)) {
			t.Errorf("/after-%d is not in the new file", i)
		}
	}
}

// readLines returns the lines of the access log at path (see
// requestLines).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return requestLines(b)
}

// TestAccessLogLogrotate: the packaged logrotate file, run by logrotate
// itself (its paths and the service's reload replaced by this server's
// folder and pid), rotates the access log with the server running: the
// lines logged before are in access.log.1, those after in a new
// access.log.
func TestAccessLogLogrotate(t *testing.T) {
	t.Parallel()
	logrotate := testbin.NeedTool(t, "logrotate", "logrotate")
	conf, err := os.ReadFile("../../internal/packaging/atomdav.logrotate")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "access.log")
	s := startServer(t, t.TempDir(), "--access-log", logFile)
	want(t, s.do(t, "GET", "/before", ""), http.StatusNotFound, "GET")
	logLines(t, logFile, 1)
	for old, new := range map[string]string{
		"/var/log/atomdav/":                dir + "/",
		"create 0640 atomdav atomdav":      "create 0640",
		"systemctl reload atomdav.service": fmt.Sprintf("kill -HUP %d", s.proc.Pid()),
	} {
		if !bytes.Contains(conf, []byte(old)) {
			t.Fatalf("the packaged logrotate file has no %q", old)
		}
		conf = bytes.ReplaceAll(conf, []byte(old), []byte(new))
	}
	confFile := filepath.Join(dir, "logrotate.conf")
	if err := os.WriteFile(confFile, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(logrotate, "-f", "-s", filepath.Join(dir, "state"), confFile).CombinedOutput(); err != nil {
		t.Fatalf("logrotate: %v\n%s", err, out)
	}
	waitLog(t, s, "access log reopened")
	want(t, s.do(t, "GET", "/after", ""), http.StatusNotFound, "GET")
	s.Stop()
	if old := readLines(t, logFile+".1"); len(old) != 1 || !strings.Contains(old[0], " /before ") {
		t.Errorf("access.log.1: %q, want the line of /before", old)
	}
	if cur := readLines(t, logFile); len(cur) != 1 || !strings.Contains(cur[0], " /after ") {
		t.Errorf("access.log: %q, want the line of /after", cur)
	}
}

package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileBody builds an XML body of about n bytes whose names cost
// quadratic time to a parser that scans the bindings (or attributes) in
// scope for each: open holds the root's start tag up to its attributes,
// attr is one attribute (with %d), then child repeats until n.
func hostileBody(n int, open, attr, rest, child, end string) string {
	var b strings.Builder
	b.WriteString(open)
	for i := 0; b.Len() < n/2; i++ {
		fmt.Fprintf(&b, " "+attr, i)
	}
	b.WriteString(rest)
	for b.Len() < n-len(child)-len(end) {
		b.WriteString(child)
	}
	b.WriteString(end)
	return b.String()
}

// TestHostileXMLBodies sends bodies just under the 1 MiB limit made of
// namespace declarations (or attributes) and names (issue 12 item 3).
// Parsing is linear now: each is answered, and the server still serves.
// Before, the PROPFIND cost seconds of CPU and the PROPPATCH over a
// minute, past the client's 30 s timeout.
func TestHostileXMLBodies(t *testing.T) {
	t.Parallel()
	// The PROPFIND names 43k properties: a limit above it lets the test
	// see it answered (TestPropfindPropsBounded checks the default).
	s := startServer(t, t.TempDir(), "--max-propfind-props", "100000")
	s.put(t, "/f.txt", "x")
	const size = 1<<20 - 1<<10
	t.Run("Security/propfind-xmlns-1MiB-207", func(t *testing.T) {
		body := hostileBody(size, `<D:propfind xmlns:D="DAV:"`, `xmlns:p%d="urn:x"`, `><D:prop>`, `<D:getetag/>`, `</D:prop></D:propfind>`)
		want(t, s.do(t, "PROPFIND", "/f.txt", body, "Depth", "0"), http.StatusMultiStatus, "PROPFIND of 1 MiB of declarations")
	})
	t.Run("Security/lock-xmlns-1MiB-answered", func(t *testing.T) {
		body := hostileBody(size, `<D:lockinfo xmlns:D="DAV:"`, `xmlns:p%d="urn:x"`,
			`><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>`, `<D:x/>`, `</D:lockinfo>`)
		r := s.do(t, "LOCK", "/lockme.txt", body)
		want(t, r, http.StatusCreated, "LOCK of 1 MiB of declarations")
	})
	t.Run("Security/proppatch-attributes-1MiB-207", func(t *testing.T) {
		body := hostileBody(size, `<propertyupdate`, `a%d=""`, ` xmlns:z="urn:z" xmlns="DAV:">`,
			`<set><prop><z:a/></prop></set>`, `</propertyupdate>`)
		want(t, s.do(t, "PROPPATCH", "/f.txt", body), http.StatusMultiStatus, "PROPPATCH of 1 MiB of attributes")
	})
	want(t, s.do(t, "GET", "/f.txt", ""), http.StatusOK, "GET after the hostile bodies")
}

// lockWithOwner is a LOCK body of scope with the given DAV:owner content.
func lockWithOwner(scope, owner string) string {
	return lockinfo(scope, "<D:owner>"+owner+"</D:owner>")
}

// TestLockOwnerChecked checks issue 12 item 4: a LOCK owner that could not
// be echoed inside another document (an XML declaration, a DOCTYPE, a
// control character in a comment) or is over max-lock-owner-bytes is 400,
// and what is accepted leaves every allprop PROPFIND of the tree
// well-formed XML.
func TestLockOwnerChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, "--max-lock-owner-bytes", "1024")
	refused := map[string]string{
		"xml-declaration":     `<?xml version="1.0"?><D:href>mailto:eve@example.org</D:href>`,
		"doctype":             `<!DOCTYPE owner [<!ENTITY e "boom">]><D:href>x</D:href>`,
		"control-in-comment":  "<!-- \x01 --><D:href>x</D:href>",
		"over-the-limit":      strings.Repeat("a", 1025),
		"undeclared-prefix":   `<z:me/>`,
		"duplicate-attribute": `<D:href a="1" a="2">x</D:href>`,
	}
	for name, owner := range refused {
		t.Run("Security/"+name+"-400", func(t *testing.T) {
			want(t, s.do(t, "LOCK", "/"+name+".txt", lockWithOwner("exclusive", owner)), http.StatusBadRequest, "LOCK with owner "+name)
			if _, err := os.Stat(filepath.Join(dir, name+".txt")); err == nil {
				t.Errorf("the refused LOCK created %s.txt", name)
			}
		})
	}
	t.Run("RFC4918_14.17/href-and-comment-201", func(t *testing.T) {
		owner := `<D:href>mailto:jane@example.org</D:href><!-- Jane's laptop --><x:app xmlns:x="urn:x" x:v="1">&lt;ok&gt;</x:app>`
		want(t, s.do(t, "LOCK", "/good.txt", lockWithOwner("exclusive", owner)), http.StatusCreated, "LOCK with a real owner")
		want(t, s.do(t, "LOCK", "/big.txt", lockWithOwner("exclusive", strings.Repeat("b", 900))), http.StatusCreated, "LOCK with an owner under the limit")
	})
	r := s.do(t, "PROPFIND", "/", "", "Depth", "1")
	want(t, r, http.StatusMultiStatus, "allprop PROPFIND Depth 1 /")
	wellFormed(t, r.Body)
	if !bytes.Contains(r.Body, []byte("mailto:jane@example.org")) {
		t.Errorf("the accepted owner is not in the lock discovery:\n%s", r.Body)
	}
}

// wellFormed fails t unless body reads to the end with encoding/xml, with
// no XML declaration but the first and no directive.
func wellFormed(t *testing.T, body []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(body))
	for first := true; ; first = false {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, body)
		}
		switch tok := tok.(type) {
		case xml.ProcInst:
			if !first && strings.EqualFold(tok.Target, "xml") {
				t.Fatalf("an XML declaration inside the document:\n%s", body)
			}
		case xml.Directive:
			t.Fatalf("a directive inside the document:\n%s", body)
		}
	}
}

// TestHeaderParsersRefuse checks issue 12 item 9 through the real binary:
// OC-Checksum of Unicode white space is 400 (it was a panic, 500), and an
// X-OC-Mtime that is NaN, infinite or out of 1970..2262 is 400 on PUT and
// COPY (NaN, or a time past 2262, used to set 1901), with nothing written.
func TestHeaderParsersRefuse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.put(t, "/src.txt", "x")
	for _, v := range []string{"\u00a0", "\u2003", "\u3000\u00a0", "SHA1:zz", "SHA1:abc"} {
		t.Run(fmt.Sprintf("Security/OC-Checksum-%q-400", v), func(t *testing.T) {
			want(t, s.do(t, "PUT", "/sum.txt", "x", "OC-Checksum", v), http.StatusBadRequest, fmt.Sprintf("PUT with OC-Checksum %q", v))
		})
	}
	// The last three are past what the kernel takes (2262).
	for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "1e30", "-1", "253402300800",
		"9223372037", "9300000000", "253402300799"} {
		t.Run("Security/X-OC-Mtime-"+v+"-400", func(t *testing.T) {
			want(t, s.do(t, "PUT", "/mtime.txt", "x", "X-OC-Mtime", v), http.StatusBadRequest, "PUT with X-OC-Mtime "+v)
			want(t, s.do(t, "COPY", "/src.txt", "", "Destination", s.URL+"/copy.txt", "X-OC-Mtime", v),
				http.StatusBadRequest, "COPY with X-OC-Mtime "+v)
		})
	}
	for _, name := range []string{"sum.txt", "mtime.txt", "copy.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("a refused request wrote %s", name)
		}
	}
	r := s.do(t, "PUT", "/ok.txt", "x", "OC-Checksum", "SHA1:11f6ad8ec52a2984abaafd7c3b516503785c2072", "X-OC-Mtime", "1645568542")
	if r.Status != http.StatusCreated || r.Header.Get("X-OC-Mtime") != "accepted" {
		t.Errorf("PUT with a good checksum and mtime: %s", r)
	}
}

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// ifLists is an If header of n lists naming / with unknown tokens: each
// may cost the server a store read, none holds.
func ifLists(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "</> (<urn:uuid:none-%d>) ", i)
	}
	return b.String()
}

// TestIfHeaderBounded checks that an If header of more conditions than
// max-if-conditions (256 by default) is 400 before it is evaluated, and
// that one at the limit is evaluated (412: no list holds).
func TestIfHeaderBounded(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f", "x")
	r := s.do(t, "PUT", "/f", "y", "If", ifLists(257))
	want(t, r, http.StatusBadRequest, "PUT with 257 If conditions")
	if !bytes.Contains(r.Body, []byte("max-if-conditions")) {
		t.Errorf("the 400 does not name the limit: %s", r.Body)
	}
	want(t, s.do(t, "PUT", "/f", "y", "If", ifLists(256)), http.StatusPreconditionFailed, "PUT with 256 If conditions")

	small := startServer(t, t.TempDir(), "--max-if-conditions", "3")
	small.put(t, "/f", "x")
	want(t, small.do(t, "PROPPATCH", "/f", proppatchBody, "If", "(<urn:a>) (<urn:b>) (<urn:c> <urn:d>)"),
		http.StatusBadRequest, "PROPPATCH with 4 If conditions over --max-if-conditions 3")
}

const proppatchBody = `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>`

// TestHeaderBytesBounded checks that request headers over
// max-header-bytes (64 KiB by default, rather than net/http's 1 MB) are
// 431, and that the option raises the bound.
func TestHeaderBytesBounded(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat("a", 100<<10)
	s := startServer(t, t.TempDir())
	r := s.rawRequest(t, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: "+pad+"\r\nConnection: close\r\n\r\n")
	want(t, r, http.StatusRequestHeaderFieldsTooLarge, "GET with 100 KiB of headers")

	big := startServer(t, t.TempDir(), "--max-header-bytes", "200000")
	r = big.rawRequest(t, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: "+pad+"\r\nConnection: close\r\n\r\n")
	want(t, r, http.StatusOK, "GET with 100 KiB of headers under --max-header-bytes 200000")
}

// propfindOf is a PROPFIND body naming n distinct properties, in DAV:prop
// or, with allprop, in DAV:include.
func propfindOf(n int, include bool) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:x="urn:x">`)
	if include {
		b.WriteString("<D:allprop/><D:include>")
	} else {
		b.WriteString("<D:prop>")
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<x:p%d/>", i)
	}
	if include {
		b.WriteString("</D:include>")
	} else {
		b.WriteString("</D:prop>")
	}
	b.WriteString("</D:propfind>")
	return b.String()
}

// TestPropfindPropsBounded checks that a PROPFIND naming more properties
// than max-propfind-props (256 by default), in DAV:prop or DAV:include, is
// 403 with a body naming the limit; each name is answered for every
// member, so the answer would grow as names × members.
func TestPropfindPropsBounded(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f", "x")
	for _, include := range []bool{false, true} {
		r := s.do(t, "PROPFIND", "/", propfindOf(257, include), "Depth", "1")
		want(t, r, http.StatusForbidden, fmt.Sprintf("PROPFIND of 257 names (include %v)", include))
		if !bytes.Contains(r.Body, []byte("max-propfind-props")) {
			t.Errorf("the 403 does not name the limit: %s", r.Body)
		}
		r = s.do(t, "PROPFIND", "/", propfindOf(256, include), "Depth", "1")
		want(t, r, http.StatusMultiStatus, fmt.Sprintf("PROPFIND of 256 names (include %v)", include))
		if !bytes.Contains(r.Body, []byte("p255")) {
			t.Errorf("the 207 leaves out the last name asked for")
		}
	}
	small := startServer(t, t.TempDir(), "--max-propfind-props", "2")
	want(t, small.do(t, "PROPFIND", "/", propfindOf(3, false), "Depth", "0"), http.StatusForbidden, "PROPFIND of 3 names over --max-propfind-props 2")
}

// rangesOf is a Range header of n one-byte ranges.
func rangesOf(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%d-%d", 2*i, 2*i)
	}
	return "bytes=" + strings.Join(parts, ",")
}

// TestRangesBounded checks that a GET of more ranges than max-ranges (100
// by default) gets the whole file (200), as RFC 9110 §14.2 allows, instead
// of a multipart answer with a part, and its headers, per range.
func TestRangesBounded(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	content := strings.Repeat("0123456789", 1000)
	s.put(t, "/f", content)
	r := s.do(t, "GET", "/f", "", "Range", rangesOf(101))
	want(t, r, http.StatusOK, "GET of 101 ranges")
	if string(r.Body) != content {
		t.Errorf("GET of 101 ranges: %d bytes, want the whole file", len(r.Body))
	}
	r = s.do(t, "GET", "/f", "", "Range", rangesOf(100))
	want(t, r, http.StatusPartialContent, "GET of 100 ranges")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/byteranges") {
		t.Errorf("GET of 100 ranges: Content-Type %q", r.Header.Get("Content-Type"))
	}
	want(t, s.do(t, "GET", "/f", "", "Range", "bytes=10-19"), http.StatusPartialContent, "GET of one range")
}

// TestStoredOwnerCheckedWhenShown checks that locks stored before owners
// were checked, or under a larger max-lock-owner-bytes, keep every allprop
// PROPFIND of their tree well-formed and bounded: the owner that fails
// today's checks is left out of lock discovery, the lock still shown.
func TestStoredOwnerCheckedWhenShown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	// An older atomdav stored this owner as sent.
	store, err := bolt.Open(filepath.Join(dir, ".atomdav", "state.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.CreateLock(context.Background(), storage.Lock{Token: "urn:uuid:0ld-0wner", Root: "/f", Shared: true,
		Owner: []byte(`<?xml version="1.0"?><D:href>mailto:old@example.org</D:href>`), OwnerNS: map[string]string{"D": "DAV:"},
		Timeout: time.Hour}, storage.LockLimits{})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	// A lock taken under a larger owner limit than the one served now.
	s := startServer(t, dir, "--max-lock-owner-bytes", "65536")
	want(t, s.do(t, "LOCK", "/f", lockWithOwner("shared", "<D:href>"+strings.Repeat("b", 10000)+"</D:href>")), http.StatusOK, "LOCK with a 10 kB owner")
	s.Stop()
	s = startServer(t, dir)
	want(t, s.do(t, "LOCK", "/f", lockWithOwner("shared", "<D:href>mailto:new@example.org</D:href>")), http.StatusOK, "LOCK with a small owner")

	r := s.do(t, "PROPFIND", "/", "", "Depth", "1")
	want(t, r, http.StatusMultiStatus, "allprop PROPFIND Depth 1 /")
	wellFormed(t, r.Body)
	body := string(r.Body)
	if strings.Count(body, "<D:activelock>") != 3 || strings.Count(body, "<D:owner") != 1 ||
		!strings.Contains(body, "mailto:new@example.org") || strings.Contains(body, "mailto:old@example.org") || strings.Contains(body, "bbbb") {
		t.Errorf("want three locks on /f, only the new owner shown:\n%s", body)
	}
}

// TestNamespaceEchoedOnce checks that a PROPFIND and a PROPPATCH naming
// many properties in one long namespace answer it once: each name used to
// declare it again, so 60 kB of PROPPATCH answered 90 MB, built in memory,
// and a PROPFIND of 255 names in a 100 kB namespace answered 25 MB per
// member.
func TestNamespaceEchoedOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f", "x")
	s.put(t, "/g", "y")
	ns := "urn:" + strings.Repeat("n", 30000)
	names := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "<x:p%d/>", i)
		}
		return b.String()
	}
	patch := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="` + ns + `"><D:remove><D:prop>` +
		names(3000) + `</D:prop></D:remove></D:propertyupdate>`
	r := s.do(t, "PROPPATCH", "/f", patch)
	want(t, r, http.StatusMultiStatus, "PROPPATCH removing 3000 names")
	wellFormed(t, r.Body)
	if len(r.Body) > 2*len(patch) || !bytes.Contains(r.Body, []byte("<ns1:p2999/>")) {
		t.Errorf("PROPPATCH of %d bytes answered %d bytes", len(patch), len(r.Body))
	}
	find := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:x="` + ns + `"><D:prop>` + names(255) + `</D:prop></D:propfind>`
	r = s.do(t, "PROPFIND", "/", find, "Depth", "1")
	want(t, r, http.StatusMultiStatus, "PROPFIND of 255 names Depth 1")
	wellFormed(t, r.Body)
	if len(r.Body) > 2*len(find) || bytes.Count(r.Body, []byte("<ns1:p254/>")) != 3 {
		t.Errorf("PROPFIND of %d bytes answered %d bytes for 3 members", len(find), len(r.Body))
	}
}

// TestPropertyNameTooLongToStore checks that a PROPPATCH of a name longer
// than the store can key (bolt: 32 KiB with the path) is 507 with a
// message, not a 500 logged as a server failure, and stores nothing.
func TestPropertyNameTooLongToStore(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/f", "x")
	ns := "urn:" + strings.Repeat("n", 40<<10)
	r := s.do(t, "PROPPATCH", "/f", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="`+ns+`"><D:set><D:prop><x:a>1</x:a></D:prop></D:set></D:propertyupdate>`)
	want(t, r, http.StatusInsufficientStorage, "PROPPATCH of a 40 KiB name")
	if !bytes.Contains(r.Body, []byte("too long")) {
		t.Errorf("the 507 says nothing: %s", r.Body)
	}
	want(t, s.do(t, "PROPPATCH", "/f", proppatchBody), http.StatusMultiStatus, "PROPPATCH after it")
	if strings.Contains(s.Output(), "request failed") {
		t.Errorf("logged as a server failure:\n%s", s.Output())
	}
}

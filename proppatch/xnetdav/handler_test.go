package xnetdav_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/proppatch/xnetdav"
	"github.com/atomdav/atomdav/storage/bolt"
)

// server is a wrapped x/net handler on loopback.
type server struct {
	t   *testing.T
	url string
}

func newServer(t *testing.T) *server {
	t.Helper()
	return newServerWith(t, func(h *xnetdav.Handler) { h.MaxBodyBytes = 4096 })
}

// newServerWith is newServer with the Handler configured by config.
func newServerWith(t *testing.T, config func(*xnetdav.Handler)) *server {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := xnetdav.Wrap(plainHandler(t), store)
	config(h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{t: t, url: srv.URL}
}

// do sends a request and returns the status and body.
func (s *server) do(method, path, body string, hdr ...string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *server) want(wantStatus int, method, path, body string, hdr ...string) string {
	s.t.Helper()
	status, got := s.do(method, path, body, hdr...)
	if status != wantStatus {
		s.t.Fatalf("%s %s: %d, want %d\n%s", method, path, status, wantStatus, got)
	}
	return got
}

const (
	setAuthor = `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>` +
		`<Z:author Z:role="editor" xml:lang="en"><Z:name>Ann</Z:name><kind>D:collection</kind></Z:author>` +
		`</D:prop></D:set></D:propertyupdate>`
	storedAuthor = `<Z:author xmlns:D="DAV:" xmlns:Z="urn:z" xmlns="" Z:role="editor" xml:lang="en"><Z:name>Ann</Z:name><kind>D:collection</kind></Z:author>`
	findAuthor   = `<propfind xmlns="DAV:"><prop><author xmlns="urn:z"/><getcontentlength/></prop></propfind>`
)

// TestPropfindExact checks that every kind of PROPFIND returns the stored
// element as PROPPATCH stored it, attributes, xml:lang and the binding of
// the D prefix its text uses included (RFC 4918 §4.3, §9.1), next to
// x/net's live properties.
func TestPropfindExact(t *testing.T) {
	s := newServer(t)
	s.want(http.StatusCreated, "MKCOL", "/dir", "")
	s.want(http.StatusCreated, "PUT", "/dir/a.txt", "hello")
	s.want(http.StatusMultiStatus, "PROPPATCH", "/dir/a.txt", setAuthor)
	for _, tc := range []struct{ name, body, depth string }{
		{"prop", findAuthor, "0"},
		{"allprop", `<propfind xmlns="DAV:"><allprop/></propfind>`, "0"},
		{"empty body is allprop", "", "0"},
		{"depth 1 from the folder", findAuthor, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/dir/a.txt"
			if tc.depth == "1" {
				path = "/dir/"
			}
			got := s.want(http.StatusMultiStatus, "PROPFIND", path, tc.body, "Depth", tc.depth)
			if strings.Count(got, storedAuthor) != 1 || !strings.Contains(got, "<D:getcontentlength>5</D:getcontentlength>") {
				t.Errorf("want the stored value once and x/net's getcontentlength:\n%s", got)
			}
			if tc.name == "prop" && strings.Contains(got, "404") {
				t.Errorf("a stored property reported missing:\n%s", got)
			}
		})
	}
	got := s.want(http.StatusMultiStatus, "PROPFIND", "/dir/a.txt", `<propfind xmlns="DAV:"><propname/></propfind>`, "Depth", "0")
	if !strings.Contains(got, `<author xmlns="urn:z"/>`) || strings.Contains(got, "Ann") {
		t.Errorf("propname: want the name without the value:\n%s", got)
	}
}

// TestPropPatchAtomic checks RFC 4918 §9.2: a request with one failing
// instruction changes nothing, and reports 424 for the others.
func TestPropPatchAtomic(t *testing.T) {
	s := newServer(t)
	s.want(http.StatusCreated, "PUT", "/a.txt", "x")
	got := s.want(http.StatusMultiStatus, "PROPPATCH", "/a.txt", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>`+
		`<x xmlns="urn:z">1</x><D:getetag>"e"</D:getetag></D:prop></D:set></D:propertyupdate>`)
	if !strings.Contains(got, "424 Failed Dependency") || !strings.Contains(got, "cannot-modify-protected-property") {
		t.Errorf("want 424 and 403 with cannot-modify-protected-property:\n%s", got)
	}
	got = s.want(http.StatusMultiStatus, "PROPFIND", "/a.txt", `<propfind xmlns="DAV:"><prop><x xmlns="urn:z"/></prop></propfind>`, "Depth", "0")
	if !strings.Contains(got, "404 Not Found") {
		t.Errorf("the failed request stored a property:\n%s", got)
	}
	s.want(http.StatusNotFound, "PROPPATCH", "/missing.txt", setAuthor)
	s.want(http.StatusBadRequest, "PROPPATCH", "/a.txt", `<D:propertyupdate xmlns:D="DAV:"><D:set>`)
	s.want(http.StatusRequestEntityTooLarge, "PROPPATCH", "/a.txt", setAuthor+strings.Repeat(" ", 5000))
	s.want(http.StatusBadRequest, "PROPFIND", "/a.txt", `<propfind xmlns="DAV:"><prop><b:x xmlns:b=""/></prop></propfind>`)
	s.want(http.StatusRequestEntityTooLarge, "PROPFIND", "/a.txt", findAuthor+strings.Repeat(" ", 5000))
}

var lockToken = regexp.MustCompile(`<D:locktoken><D:href>([^<]+)</D:href>`)

// TestPropPatchLocked checks RFC 4918 §7: a PROPPATCH on a locked resource
// needs the lock's token in If.
func TestPropPatchLocked(t *testing.T) {
	s := newServer(t)
	s.want(http.StatusCreated, "PUT", "/a.txt", "x")
	got := s.want(http.StatusOK, "LOCK", "/a.txt", `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>`+
		`<D:locktype><D:write/></D:locktype></D:lockinfo>`, "Timeout", "Second-600")
	m := lockToken.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no lock token in\n%s", got)
	}
	s.want(http.StatusLocked, "PROPPATCH", "/a.txt", setAuthor)
	s.want(http.StatusPreconditionFailed, "PROPPATCH", "/a.txt", setAuthor, "If", "(<opaquelocktoken:wrong>)")
	s.want(http.StatusBadRequest, "PROPPATCH", "/a.txt", setAuthor, "If", "(<unclosed")
	s.want(http.StatusMultiStatus, "PROPPATCH", "/a.txt", setAuthor, "If", "(<"+m[1]+">)")
}

// TestTreeKeepsProps checks that COPY and MOVE carry dead properties along
// (RFC 4918 §9.8.2, §9.9.1) and that a resource made after a DELETE does
// not inherit the deleted one's (DESIGN §6).
func TestTreeKeepsProps(t *testing.T) {
	s := newServer(t)
	s.want(http.StatusCreated, "MKCOL", "/dir", "")
	s.want(http.StatusCreated, "PUT", "/dir/a.txt", "hello")
	s.want(http.StatusMultiStatus, "PROPPATCH", "/dir/a.txt", setAuthor)
	has := func(path string) bool {
		got := s.want(http.StatusMultiStatus, "PROPFIND", path, findAuthor, "Depth", "0")
		return strings.Contains(got, storedAuthor)
	}
	s.want(http.StatusCreated, "COPY", "/dir", "", "Destination", s.url+"/copy")
	s.want(http.StatusCreated, "MOVE", "/copy/a.txt", "", "Destination", s.url+"/moved.txt")
	if !has("/dir/a.txt") || !has("/moved.txt") {
		t.Error("COPY then MOVE lost the property")
	}
	s.want(http.StatusCreated, "COPY", "/dir", "", "Destination", s.url+"/shallow", "Depth", "0")
	s.want(http.StatusCreated, "PUT", "/shallow/a.txt", "new")
	if has("/shallow/a.txt") {
		t.Error("a COPY with Depth: 0 gave properties to a member it did not copy")
	}
	s.want(http.StatusNoContent, "DELETE", "/dir", "")
	s.want(http.StatusCreated, "PUT", "/moved.txt", "x", "If-None-Match", "*")
	s.want(http.StatusCreated, "MKCOL", "/dir", "")
	s.want(http.StatusCreated, "PUT", "/dir/a.txt", "new")
	if has("/dir/a.txt") {
		t.Error("a new resource inherited the deleted one's property")
	}
	if !has("/moved.txt") {
		t.Error("the moved resource lost its property")
	}
}

// TestPropfindResponseBound checks that a PROPFIND whose 207 would exceed
// MaxResponseBytes is refused with 507 rather than held in memory, and
// that a smaller one is still answered.
func TestPropfindResponseBound(t *testing.T) {
	s := newServerWith(t, func(h *xnetdav.Handler) { h.MaxResponseBytes = 4096 })
	s.want(http.StatusCreated, "MKCOL", "/dir", "")
	s.want(http.StatusMultiStatus, "PROPFIND", "/dir/", "", "Depth", "1")
	for i := range 20 {
		s.want(http.StatusCreated, "PUT", fmt.Sprintf("/dir/file-%02d.txt", i), "x")
	}
	s.want(http.StatusInsufficientStorage, "PROPFIND", "/dir/", "", "Depth", "1")
	s.want(http.StatusMultiStatus, "PROPFIND", "/dir/file-00.txt", "", "Depth", "0")
}

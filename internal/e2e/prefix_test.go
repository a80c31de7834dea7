package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestPrefix checks a share mounted below / with --prefix: hrefs carry the
// prefix, Destination headers are read with it, and paths outside it are
// not served.
func TestPrefix(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--prefix", "/dav")
	s.mkcol(t, "/dav/col")
	s.put(t, "/dav/col/f.txt", "content")
	s.setProp(t, "/dav/col/f.txt", "a", "one")

	t.Run("RFC4918_8.3/hrefs-carry-the-prefix", func(t *testing.T) {
		for h := range s.propfind(t, "/dav/col/", "1") {
			if !strings.HasPrefix(h, "/dav/col/") {
				t.Errorf("href %q lacks the prefix", h)
			}
		}
		for h := range parseMultistatus(t, s.do(t, "PROPPATCH", "/dav/col/f.txt", update(`<Z:b>two</Z:b>`))) {
			if h != "/dav/col/f.txt" {
				t.Errorf("PROPPATCH href %q, want /dav/col/f.txt", h)
			}
		}
	})
	t.Run("RFC4918_9.9/MOVE-with-prefixed-Destination", func(t *testing.T) {
		want(t, s.do(t, "MOVE", "/dav/col/f.txt", "", "Destination", s.URL+"/dav/col/g.txt"), http.StatusCreated, "MOVE")
		s.wantProps(t, "/dav/col/g.txt", map[string]string{"a": "one", "b": "two"}, "a", "b")
	})
	t.Run("RFC4918_9.8.4/Destination-outside-the-prefix-502", func(t *testing.T) {
		r := s.do(t, "COPY", "/dav/col/g.txt", "", "Destination", "/elsewhere/g.txt")
		if r.Status != http.StatusBadGateway && r.Status != http.StatusForbidden {
			t.Errorf("COPY to a Destination outside the share: %s, want 502 or 403", r)
		}
	})
	for _, p := range []string{"/col/g.txt", "/davcol/g.txt", "/"} {
		t.Run("outside-the-prefix-404"+p, func(t *testing.T) {
			want(t, s.do(t, "GET", p, ""), http.StatusNotFound, "GET "+p)
		})
	}
}

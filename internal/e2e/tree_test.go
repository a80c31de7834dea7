package e2e

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// setProp sets one dead property Z:name to value on path.
func (s *server) setProp(t testing.TB, path, name, value string) {
	t.Helper()
	if err := allOK(s.proppatch(t, path, update(`<Z:`+name+`>`+value+`</Z:`+name+`>`))); err != nil {
		t.Fatalf("PROPPATCH %s: %v", path, err)
	}
}

// wantProps fails the test unless path has exactly the dead props of want
// among names, with those texts; names not in want must be absent.
func (s *server) wantProps(t testing.TB, path string, want map[string]string, names ...string) {
	t.Helper()
	var xn []xml.Name
	for _, n := range names {
		xn = append(xn, zName(n))
	}
	got := s.props(t, path, xn...)
	for _, n := range names {
		p := got[zName(n)]
		w, set := want[n]
		switch {
		case set && (p.Status != http.StatusOK || p.Node.text() != w):
			t.Errorf("%s: Z:%s status %d %q, want 200 %q", path, n, p.Status, textOf(p), w)
		case !set && p.Status != http.StatusNotFound:
			t.Errorf("%s: Z:%s status %d %q, want 404 (not set)", path, n, p.Status, textOf(p))
		}
	}
}

// TestPropsFollowTree checks that dead properties move, copy and go with
// their resources (RFC 4918 §9.6.1, §9.8.2, §9.9.1, DESIGN §6).
func TestPropsFollowTree(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	all := []string{"c", "f", "g"}
	// /col/ {c}; /col/a.txt {f}; /col/sub/ {c}; /col/sub/b.txt {g}
	s.mkcol(t, "/col")
	s.mkcol(t, "/col/sub")
	s.put(t, "/col/a.txt", "a")
	s.put(t, "/col/sub/b.txt", "b")
	s.setProp(t, "/col/", "c", "col")
	s.setProp(t, "/col/sub/", "c", "sub")
	s.setProp(t, "/col/a.txt", "f", "a")
	s.setProp(t, "/col/sub/b.txt", "g", "b")
	wantTree := func(t *testing.T, base string) {
		t.Helper()
		s.wantProps(t, base+"/", map[string]string{"c": "col"}, all...)
		s.wantProps(t, base+"/sub/", map[string]string{"c": "sub"}, all...)
		s.wantProps(t, base+"/a.txt", map[string]string{"f": "a"}, all...)
		s.wantProps(t, base+"/sub/b.txt", map[string]string{"g": "b"}, all...)
	}

	t.Run("RFC4918_9.8.3/COPY-collection-Depth-infinity", func(t *testing.T) {
		want(t, s.do(t, "COPY", "/col/", "", "Destination", s.URL+"/copy/", "Depth", "infinity"), http.StatusCreated, "COPY /col/ /copy/")
		wantTree(t, "/copy")
		wantTree(t, "/col")
	})
	t.Run("RFC4918_9.8.3/COPY-collection-Depth-0", func(t *testing.T) {
		want(t, s.do(t, "COPY", "/col/", "", "Destination", "/shallow/", "Depth", "0"), http.StatusCreated, "COPY Depth 0")
		s.wantProps(t, "/shallow/", map[string]string{"c": "col"}, all...)
		var got []string
		for h := range s.propfind(t, "/shallow/", "1", davName("resourcetype")) {
			got = append(got, h)
		}
		if !slices.Equal(got, []string{"/shallow/"}) {
			t.Errorf("after COPY Depth 0, /shallow/ holds %v, want no members", got)
		}
	})
	t.Run("RFC4918_9.9.1/MOVE-collection", func(t *testing.T) {
		want(t, s.do(t, "MOVE", "/copy/", "", "Destination", "/moved/"), http.StatusCreated, "MOVE /copy/ /moved/")
		wantTree(t, "/moved")
		want(t, s.do(t, "PROPFIND", "/copy/", propfindBody(), "Depth", "0"), http.StatusNotFound, "PROPFIND /copy/ after MOVE")
	})
	t.Run("RFC4918_9.6.1/DELETE-collection-then-recreate", func(t *testing.T) {
		want(t, s.do(t, "DELETE", "/moved/", ""), http.StatusNoContent, "DELETE /moved/")
		want(t, s.do(t, "PROPFIND", "/moved/sub/b.txt", propfindBody(), "Depth", "0"), http.StatusNotFound, "PROPFIND after DELETE")
		s.mkcol(t, "/moved")
		s.mkcol(t, "/moved/sub")
		s.put(t, "/moved/a.txt", "new")
		s.put(t, "/moved/sub/b.txt", "new")
		for _, p := range []string{"/moved/", "/moved/sub/", "/moved/a.txt", "/moved/sub/b.txt"} {
			s.wantProps(t, p, nil, all...)
		}
	})
	t.Run("RFC4918_9.6.1/DELETE-file-then-PUT", func(t *testing.T) {
		s.put(t, "/gone.txt", "old")
		s.setProp(t, "/gone.txt", "f", "old")
		want(t, s.do(t, "DELETE", "/gone.txt", ""), http.StatusNoContent, "DELETE /gone.txt")
		s.put(t, "/gone.txt", "new")
		s.wantProps(t, "/gone.txt", nil, all...)
	})
	t.Run("RFC4918_9.9.1/MOVE-file-then-PUT-at-source", func(t *testing.T) {
		s.put(t, "/m1.txt", "m1")
		s.setProp(t, "/m1.txt", "f", "m1")
		want(t, s.do(t, "MOVE", "/m1.txt", "", "Destination", "/m2.txt"), http.StatusCreated, "MOVE /m1.txt /m2.txt")
		s.wantProps(t, "/m2.txt", map[string]string{"f": "m1"}, all...)
		s.put(t, "/m1.txt", "again")
		s.wantProps(t, "/m1.txt", nil, all...)
	})
	t.Run("RFC4918_9.9.4/MOVE-collection-over-collection-Overwrite-T", func(t *testing.T) {
		s.mkcol(t, "/cs")
		s.put(t, "/cs/x.txt", "x")
		s.setProp(t, "/cs/x.txt", "f", "cs")
		s.mkcol(t, "/cd")
		s.put(t, "/cd/x.txt", "old")
		s.put(t, "/cd/y.txt", "old")
		s.setProp(t, "/cd/", "c", "old")
		s.setProp(t, "/cd/y.txt", "g", "old")
		want(t, s.do(t, "MOVE", "/cs/", "", "Destination", "/cd/", "Overwrite", "T"), http.StatusNoContent, "MOVE /cs/ over /cd/")
		s.wantProps(t, "/cd/", nil, all...)
		s.wantProps(t, "/cd/x.txt", map[string]string{"f": "cs"}, all...)
		want(t, s.do(t, "GET", "/cd/y.txt", ""), http.StatusNotFound, "GET /cd/y.txt after MOVE over /cd/")
		s.put(t, "/cd/y.txt", "new")
		s.wantProps(t, "/cd/y.txt", nil, all...)
	})
}

// TestOverwrite checks COPY and MOVE onto an existing file (RFC 4918
// §9.8.4, §9.9.4, §10.6): with Overwrite T the destination's content and
// properties are replaced by the source's, with F nothing changes.
func TestOverwrite(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	all := []string{"f", "g"}
	overwrite := []struct {
		name, method, overwrite string
		status                  int
	}{
		{"RFC4918_9.9.4/MOVE-file-over-file-Overwrite-T-204", "MOVE", "T", http.StatusNoContent},
		{"RFC4918_9.8.4/COPY-file-over-file-Overwrite-T-204", "COPY", "T", http.StatusNoContent},
		{"RFC4918_10.6/MOVE-file-over-file-Overwrite-F-412", "MOVE", "F", http.StatusPreconditionFailed},
		{"RFC4918_10.6/COPY-file-over-file-Overwrite-F-412", "COPY", "F", http.StatusPreconditionFailed},
	}
	for i, tt := range overwrite {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src, dst := fmt.Sprintf("/src-%d.txt", i), fmt.Sprintf("/dst-%d.txt", i)
			s.put(t, src, "source")
			s.put(t, dst, "destination")
			s.setProp(t, src, "f", "from-source")
			s.setProp(t, dst, "f", "from-destination")
			s.setProp(t, dst, "g", "only-destination")
			want(t, s.do(t, tt.method, src, "", "Destination", dst, "Overwrite", tt.overwrite), tt.status, tt.method+" "+src+" "+dst)
			if tt.status == http.StatusPreconditionFailed {
				s.wantProps(t, src, map[string]string{"f": "from-source"}, all...)
				s.wantProps(t, dst, map[string]string{"f": "from-destination", "g": "only-destination"}, all...)
				if b := s.do(t, "GET", dst, "").Body; string(b) != "destination" {
					t.Errorf("%s: content %q, want unchanged", dst, b)
				}
				return
			}
			s.wantProps(t, dst, map[string]string{"f": "from-source"}, all...)
			if b := s.do(t, "GET", dst, "").Body; string(b) != "source" {
				t.Errorf("%s: content %q, want the source's", dst, b)
			}
			srcStatus := s.do(t, "GET", src, "").Status
			if tt.method == "MOVE" && srcStatus != http.StatusNotFound {
				t.Errorf("after MOVE, GET %s: %d, want 404", src, srcStatus)
			}
			if tt.method == "COPY" {
				s.wantProps(t, src, map[string]string{"f": "from-source"}, all...)
			}
		})
	}
}

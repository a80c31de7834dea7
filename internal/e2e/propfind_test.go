package e2e

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestPropfind(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.mkcol(t, "/dir")
	s.mkcol(t, "/dir/sub")
	s.put(t, "/dir/a.txt", "hello")
	s.put(t, "/dir/sub/deep.txt", "deep")
	if err := allOK(s.proppatch(t, "/dir/a.txt", update(`<Z:color>blue</Z:color>`))); err != nil {
		t.Fatal(err)
	}

	hrefs := func(ms map[string]msResponse) []string {
		var out []string
		for h := range ms {
			out = append(out, h)
		}
		slices.Sort(out)
		return out
	}

	t.Run("RFC4918_10.2/Depth-0", func(t *testing.T) {
		ms := s.propfind(t, "/dir/", "0")
		if got := hrefs(ms); !slices.Equal(got, []string{"/dir/"}) {
			t.Errorf("hrefs %v, want [/dir/]", got)
		}
		if rt := ms["/dir/"].Props[davName("resourcetype")]; rt.Node == nil || rt.Node.child(davName("collection")) == nil {
			t.Errorf("/dir/ resourcetype lacks DAV:collection")
		}
	})
	t.Run("RFC4918_10.2/Depth-1", func(t *testing.T) {
		ms := s.propfind(t, "/dir/", "1")
		if got, want := hrefs(ms), []string{"/dir/", "/dir/a.txt", "/dir/sub/"}; !slices.Equal(got, want) {
			t.Errorf("hrefs %v, want %v", got, want)
		}
		if c := ms["/dir/a.txt"].Props[zName("color")]; c.Status != http.StatusOK || c.Node.text() != "blue" {
			t.Errorf("allprop of /dir/a.txt: Z:color status %d %q, want 200 blue", c.Status, textOf(c))
		}
		if l := ms["/dir/a.txt"].Props[davName("getcontentlength")]; l.Node == nil || l.Node.text() != "5" {
			t.Errorf("getcontentlength of /dir/a.txt is %q, want 5", textOf(l))
		}
	})
	for name, depth := range map[string]string{"missing": "", "infinity": "infinity"} {
		t.Run("RFC4918_9.1/Depth-"+name+"-403-propfind-finite-depth", func(t *testing.T) {
			var hdr []string
			if depth != "" {
				hdr = []string{"Depth", depth}
			}
			r := s.do(t, "PROPFIND", "/dir/", propfindBody(), hdr...)
			want(t, r, http.StatusForbidden, "PROPFIND Depth "+depth)
			root, err := parseXML(r.Body)
			if err != nil || root.Name != davName("error") || root.child(davName("propfind-finite-depth")) == nil {
				t.Errorf("body is not <D:error><D:propfind-finite-depth/></D:error>: %s", r.Body)
			}
		})
	}
	t.Run("RFC4918_9.1/propname", func(t *testing.T) {
		r := s.do(t, "PROPFIND", "/dir/a.txt", `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`, "Depth", "0")
		props := parseMultistatus(t, r)["/dir/a.txt"].Props
		for _, n := range []xml.Name{zName("color"), davName("getetag"), davName("getcontentlength"), davName("resourcetype")} {
			p, ok := props[n]
			if !ok || p.Status != http.StatusOK {
				t.Errorf("propname lacks {%s}%s", n.Space, n.Local)
				continue
			}
			if len(p.Node.Kids) != 0 {
				t.Errorf("propname gives {%s}%s a value: %s", n.Space, n.Local, canon(p.Node))
			}
		}
	})
	t.Run("RFC4918_9.1/allprop-with-include", func(t *testing.T) {
		body := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:M="` + nsMS + `" xmlns:Z="` + nsZ + `">` +
			`<D:allprop/><D:include><M:Win32LastModifiedTime/><Z:absent/></D:include></D:propfind>`
		props := parseMultistatus(t, s.do(t, "PROPFIND", "/dir/a.txt", body, "Depth", "0"))["/dir/a.txt"].Props
		for n, st := range map[xml.Name]int{zName("color"): 200, davName("getetag"): 200, nameWin32: 200, zName("absent"): 404} {
			if props[n].Status != st {
				t.Errorf("{%s}%s: status %d, want %d", n.Space, n.Local, props[n].Status, st)
			}
		}
	})
	t.Run("RFC4918_8.2/invalid-namespace-declaration-400", func(t *testing.T) {
		r := s.do(t, "PROPFIND", "/dir/", `<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>`, "Depth", "0")
		want(t, r, http.StatusBadRequest, "PROPFIND with xmlns:bar=\"\"")
	})
	t.Run("RFC4918_8.2/malformed-400", func(t *testing.T) {
		r := s.do(t, "PROPFIND", "/dir/", `<D:propfind xmlns:D="DAV:"><D:prop>`, "Depth", "0")
		want(t, r, http.StatusBadRequest, "PROPFIND with truncated body")
	})
	t.Run("RFC4918_9.1/missing-resource-404", func(t *testing.T) {
		want(t, s.do(t, "PROPFIND", "/nope", propfindBody(), "Depth", "0"), http.StatusNotFound, "PROPFIND /nope")
	})
	t.Run("RFC4918_9.1/getetag-equals-GET-ETag", func(t *testing.T) {
		got := s.props(t, "/dir/a.txt", davName("getetag"))[davName("getetag")]
		etag := s.do(t, "GET", "/dir/a.txt", "").Header.Get("ETag")
		if got.Status != http.StatusOK || etag == "" || got.Node.text() != etag {
			t.Errorf("getetag %q (status %d), GET ETag %q: want equal and non-empty", textOf(got), got.Status, etag)
		}
		if strings.HasPrefix(etag, "W/") {
			t.Errorf("ETag %q is weak, want strong", etag)
		}
	})
}

func TestPropfindInfiniteDepthAllowed(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--allow-infinite-depth")
	s.mkcol(t, "/dir")
	s.mkcol(t, "/dir/sub")
	s.put(t, "/dir/sub/deep.txt", "deep")
	for _, depth := range []string{"infinity", ""} {
		t.Run("RFC4918_9.1/Depth-"+depth, func(t *testing.T) {
			var hdr []string
			if depth != "" {
				hdr = []string{"Depth", depth}
			}
			ms := parseMultistatus(t, s.do(t, "PROPFIND", "/", propfindBody(davName("resourcetype")), hdr...))
			for _, h := range []string{"/", "/dir/", "/dir/sub/", "/dir/sub/deep.txt"} {
				if _, ok := ms[h]; !ok {
					t.Errorf("Depth %q lacks %s", depth, h)
				}
			}
			for h := range ms {
				if strings.Contains(h, ".atomdav") {
					t.Errorf("Depth %q lists %s", depth, h)
				}
			}
		})
	}
}

package e2e

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

var (
	nameWin32 = xml.Name{Space: nsMS, Local: "Win32LastModifiedTime"}
	nameMtime = davName("getlastmodified")
)

// wantAbsent fails the test unless PROPFIND reports every one of names
// 404 on path.
func (s *server) wantAbsent(t testing.TB, path string, names ...xml.Name) {
	t.Helper()
	got := s.props(t, path, names...)
	for _, n := range names {
		if p := got[n]; p.Status != http.StatusNotFound {
			t.Errorf("PROPFIND %s: {%s}%s has status %d, want 404 (not set)", path, n.Space, n.Local, p.Status)
		}
	}
}

// mtime returns getlastmodified of path.
func (s *server) mtime(t testing.TB, path string) string {
	t.Helper()
	p := s.props(t, path, nameMtime)[nameMtime]
	if p.Status != http.StatusOK {
		t.Fatalf("PROPFIND %s: getlastmodified status %d", path, p.Status)
	}
	return p.Node.text()
}

func TestProppatch(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	const (
		goodDate = "Mon, 01 Jan 2001 10:00:00 GMT"
		protect  = `<D:getetag>"forged"</D:getetag>`
	)
	a, b, keep, never := zName("a"), zName("b"), zName("keep"), zName("never")
	big := `<Z:b>` + strings.Repeat("x", 70<<10) + `</Z:b>`

	tests := []struct {
		name  string
		body  string
		want  map[xml.Name]int
		cond  map[xml.Name]string // DAV:error condition of a failing name
		set   map[xml.Name]string // dead props and their text afterwards
		unset []xml.Name          // dead props PROPFIND must not show afterwards
		mtime string              // getlastmodified afterwards; "" for unchanged
	}{{
		name: "RFC4918_9.2/all-200-commit",
		body: `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `">
  <D:set><D:prop><Z:a>one</Z:a><Z:b><Z:x>two</Z:x></Z:b></D:prop></D:set>
  <D:remove><D:prop><Z:never/></D:prop></D:remove>
</D:propertyupdate>`,
		want: map[xml.Name]int{a: 200, b: 200, never: 200},
		set:  map[xml.Name]string{a: "one", b: "two", keep: "kept"},
	}, {
		name: "RFC4918_9.2.1/protected-getetag-403-others-424",
		body: `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `">
  <D:set><D:prop><Z:a>one</Z:a></D:prop></D:set>
  <D:remove><D:prop><Z:keep/></D:prop></D:remove>
  <D:set><D:prop>` + protect + `</D:prop></D:set>
  <D:set><D:prop><Z:b>two</Z:b></D:prop></D:set>
</D:propertyupdate>`,
		want:  map[xml.Name]int{a: 424, keep: 424, davName("getetag"): 403, b: 424},
		cond:  map[xml.Name]string{davName("getetag"): "cannot-modify-protected-property"},
		set:   map[xml.Name]string{keep: "kept"},
		unset: []xml.Name{a, b},
	}, {
		name: "RFC4918_9.2.1/remove-protected-resourcetype-403",
		body: `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `">
  <D:set><D:prop><Z:a>one</Z:a></D:prop></D:set>
  <D:remove><D:prop><D:resourcetype/></D:prop></D:remove>
</D:propertyupdate>`,
		want:  map[xml.Name]int{a: 424, davName("resourcetype"): 403},
		cond:  map[xml.Name]string{davName("resourcetype"): "cannot-modify-protected-property"},
		set:   map[xml.Name]string{keep: "kept"},
		unset: []xml.Name{a},
	}, {
		name:  "RFC4918_9.2.1/win32-bad-date-409-others-424",
		body:  update(`<Z:a>one</Z:a>`, `<M:Win32LastModifiedTime xmlns:M="`+nsMS+`">yesterday</M:Win32LastModifiedTime>`, `<Z:b>two</Z:b>`),
		want:  map[xml.Name]int{a: 424, nameWin32: 409, b: 424},
		set:   map[xml.Name]string{keep: "kept"},
		unset: []xml.Name{a, b},
	}, {
		name:  "RFC4918_9.2/win32-good-date-200-sets-mtime",
		body:  update(`<M:Win32LastModifiedTime xmlns:M="`+nsMS+`">`+goodDate+`</M:Win32LastModifiedTime>`, `<Z:a>one</Z:a>`),
		want:  map[xml.Name]int{nameWin32: 200, a: 200},
		set:   map[xml.Name]string{a: "one", keep: "kept"},
		mtime: goodDate,
	}, {
		name:  "RFC4918_9.2.1/win32-good-date-not-applied-when-another-fails",
		body:  update(`<M:Win32LastModifiedTime xmlns:M="`+nsMS+`">`+goodDate+`</M:Win32LastModifiedTime>`, protect),
		want:  map[xml.Name]int{nameWin32: 424, davName("getetag"): 403},
		cond:  map[xml.Name]string{davName("getetag"): "cannot-modify-protected-property"},
		set:   map[xml.Name]string{keep: "kept"},
		unset: nil,
	}, {
		name:  "RFC4918_9.2.1/value-over-64KiB-507-others-424",
		body:  update(`<Z:a>one</Z:a>`, big),
		want:  map[xml.Name]int{a: 424, b: 507},
		set:   map[xml.Name]string{keep: "kept"},
		unset: []xml.Name{a, b},
	}, {
		name: "RFC4918_9.2/value-under-64KiB-200",
		body: update(`<Z:b>` + strings.Repeat("y", 60<<10) + `</Z:b>`),
		want: map[xml.Name]int{b: 200},
		set:  map[xml.Name]string{b: strings.Repeat("y", 60<<10), keep: "kept"},
	}, {
		name: "RFC4918_9.2/set-then-remove-ends-removed",
		body: `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `">
  <D:set><D:prop><Z:a>one</Z:a><Z:b>two</Z:b></D:prop></D:set>
  <D:remove><D:prop><Z:a/><Z:keep/></D:prop></D:remove>
</D:propertyupdate>`,
		want:  map[xml.Name]int{a: 200, b: 200, keep: 200},
		set:   map[xml.Name]string{b: "two"},
		unset: []xml.Name{a, keep},
	}}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := fmt.Sprintf("/pp-%d.txt", i)
			s.put(t, p, "content")
			if err := allOK(s.proppatch(t, p, update(`<Z:keep>kept</Z:keep>`))); err != nil {
				t.Fatal(err)
			}
			before := s.mtime(t, p)

			got := s.proppatch(t, p, tt.body)
			wantStatuses(t, got, tt.want)
			for n, c := range tt.cond {
				if conds := got[n].Conds; len(conds) != 1 || conds[0] != c {
					t.Errorf("{%s}%s: DAV:error %v, want <D:%s/>", n.Space, n.Local, conds, c)
				}
			}

			for n, text := range tt.set {
				pr := s.props(t, p, n)[n]
				if pr.Status != http.StatusOK || pr.Node.text() != text {
					t.Errorf("after PROPPATCH, {%s}%s: status %d, text %.40q, want 200 %.40q", n.Space, n.Local, pr.Status, textOf(pr), text)
				}
			}
			s.wantAbsent(t, p, tt.unset...)
			wantMtime := tt.mtime
			if wantMtime == "" {
				wantMtime = before
			}
			if m := s.mtime(t, p); m != wantMtime {
				t.Errorf("getlastmodified is %q, want %q", m, wantMtime)
			}
			if lm := s.do(t, "HEAD", p, "").Header.Get("Last-Modified"); lm != wantMtime {
				t.Errorf("HEAD Last-Modified is %q, want %q", lm, wantMtime)
			}
		})
	}
}

func textOf(p propResult) string {
	if p.Node == nil {
		return ""
	}
	return p.Node.text()
}

// TestProppatchRefused covers requests refused as a whole, with no 207.
func TestProppatchRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--max-xml-bytes", "4096")
	a := zName("a")
	padded := update(`<Z:a>` + strings.Repeat("p", 8192) + `</Z:a>`)

	tests := []struct {
		name    string
		path    string
		body    string
		chunked bool // send without Content-Length
		want    int
	}{
		{"RFC4918_8.2/malformed-XML-400", "/r.txt", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:a xmlns:Z="urn:z">x</D:prop></D:set></D:propertyupdate>`, false, 400},
		{"RFC4918_8.2/undeclared-prefix-400", "/r.txt", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Q:a>x</Q:a></D:prop></D:set></D:propertyupdate>`, false, 400},
		{"RFC4918_8.2/empty-namespace-prefix-400", "/r.txt", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:a xmlns:Z="">x</Z:a></D:prop></D:set></D:propertyupdate>`, false, 400},
		{"RFC4918_9.2/root-not-propertyupdate-400", "/r.txt", `<D:propfind xmlns:D="DAV:"><D:set><D:prop><Z:a xmlns:Z="` + nsZ + `">x</Z:a></D:prop></D:set></D:propfind>`, false, 400},
		{"RFC4918_9.2/propertyupdate-not-in-DAV-400", "/r.txt", `<propertyupdate xmlns="urn:not-dav"><set><prop><a>x</a></prop></set></propertyupdate>`, false, 400},
		{"RFC4918_14.19/empty-propertyupdate-400", "/r.txt", `<D:propertyupdate xmlns:D="DAV:"/>`, false, 400},
		{"RFC4918_8.2/empty-body-400", "/r.txt", ``, false, 400},
		{"RFC4918_9.2/missing-resource-404", "/missing.txt", update(`<Z:a>x</Z:a>`), false, 404},
		{"DESIGN7/body-over-max-xml-bytes-413", "/r.txt", padded, false, 413},
		{"DESIGN7/chunked-body-over-max-xml-bytes-413", "/r.txt", padded, true, 413},
	}
	s.put(t, "/r.txt", "content")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, err := s.request("PROPPATCH", tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.sendRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			want(t, r, tt.want, "PROPPATCH "+tt.path)
			if tt.path == "/r.txt" {
				s.wantAbsent(t, "/r.txt", a)
			}
		})
	}
	many := make([]xml.Name, 400)
	for i := range many {
		many[i] = zName(fmt.Sprintf("p%d", i))
	}
	for name, body := range map[string]string{
		"inside-the-root":          propfindBody(many...),
		"after-the-root":           propfindBody(a) + strings.Repeat(" ", 8192),
		"before-the-root":          strings.Repeat(" ", 8192) + propfindBody(a),
		"comments-inside-the-root": strings.Replace(propfindBody(a), "<D:prop>", strings.Repeat("<!-- padding -->", 512)+"<D:prop>", 1),
	} {
		t.Run("DESIGN7/PROPFIND-body-over-max-xml-bytes-"+name+"-413", func(t *testing.T) {
			want(t, s.do(t, "PROPFIND", "/r.txt", body, "Depth", "0"), http.StatusRequestEntityTooLarge, "PROPFIND with an 8 KiB body")
		})
	}
}

// TestProppatchRoundTrip checks that values come back from PROPFIND as the
// same XML (RFC 4918 §4.3, §9.2): element names by namespace URI,
// attributes, xml:lang in scope, nested elements, text with high Unicode,
// and the null namespace.
func TestProppatchRoundTrip(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	body := `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `" xml:lang="en">
<D:set><D:prop xml:lang="fr"><Z:nested Z:attr="a&amp;b&lt;c" plain="p"><Z:child xmlns:Y="urn:y"><Y:leaf>1</Y:leaf>mixed <Y:leaf xml:lang="de">2</Y:leaf></Z:child>tail</Z:nested><Z:emoji>😀 smile 𝄞</Z:emoji><Z:lang xml:lang="ja">日本語</Z:lang><Z:default xmlns="urn:default"><inner>x</inner><inner xmlns="">null</inner></Z:default><Z:qname xmlns:Q="urn:q">Q:referenced</Z:qname><Z:empty/><Z:spaces>  two  spaces
newline </Z:spaces><nullns xmlns="">in no namespace</nullns></D:prop></D:set>
<D:set><D:prop><Z:inherit>lang from propertyupdate</Z:inherit></D:prop></D:set>
</D:propertyupdate>`
	root, err := parseXML([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var sent []*node
	for _, set := range root.children(davName("set")) {
		sent = append(sent, set.child(davName("prop")).elems()...)
	}
	if len(sent) != 9 {
		t.Fatalf("the request sets %d properties, want 9", len(sent))
	}
	var names []xml.Name
	for _, n := range sent {
		names = append(names, n.Name)
	}

	for _, p := range []string{"/roundtrip.txt", "/roundtrip-col/"} {
		t.Run("RFC4918_4.3"+p, func(t *testing.T) {
			if strings.HasSuffix(p, "/") {
				s.mkcol(t, strings.TrimSuffix(p, "/"))
			} else {
				s.put(t, p, "content")
			}
			if err := allOK(s.proppatch(t, p, body)); err != nil {
				t.Fatal(err)
			}
			named := s.props(t, p, names...)
			all := s.props(t, p)
			for _, want := range sent {
				for kind, got := range map[string]propResult{"prop": named[want.Name], "allprop": all[want.Name]} {
					if got.Status != http.StatusOK {
						t.Errorf("PROPFIND %s {%s}%s: status %d, want 200", kind, want.Name.Space, want.Name.Local, got.Status)
						continue
					}
					if c, w := canon(got.Node), canon(want); c != w {
						t.Errorf("PROPFIND %s {%s}%s:\n got %s\nwant %s", kind, want.Name.Space, want.Name.Local, c, w)
					}
				}
			}
			if q := named[zName("qname")]; q.Node != nil && q.Node.NS["Q"] != "urn:q" {
				t.Errorf("the value of Z:qname names Q:referenced but binds Q to %q, want urn:q (RFC 4918 §4.3)", q.Node.NS["Q"])
			}
		})
	}
}

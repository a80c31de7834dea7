package dav

import (
	"context"
	"encoding/xml"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLiveTableFeedsProppatch: the live-property table decides what
// PROPPATCH may change (RFC 4918 §15): a row with a setter is exactly a
// name liveSetters serves, and every other row is protected, whatever its
// namespace, so no dead copy of it can be stored.
func TestLiveTableFeedsProppatch(t *testing.T) {
	t.Parallel()
	setters := liveSetters(nil)
	for _, p := range liveProps {
		_, hasSetter := setters[p.name]
		switch {
		case p.settable != hasSetter:
			t.Errorf("%v: settable %v in the table, setter %v in liveSetters", p.name, p.settable, hasSetter)
		case !p.settable && !protectedProp(p.name):
			t.Errorf("%v: a live property without a setter is not protected", p.name)
		}
	}
	for n := range setters {
		if !isLive(n) {
			t.Errorf("%v has a setter but no row in liveProps", n)
		}
	}
	// Outside DAV:, only the table makes a name protected.
	ro := xml.Name{Space: "urn:example:ro", Local: "size"}
	if protectedProp(ro) {
		t.Fatalf("%v protected without a row", ro)
	}
	if !protectedIn(map[xml.Name]*liveProp{ro: {name: ro, read: readContentLength}}, ro) {
		t.Fatalf("%v: a read-only live row outside DAV: is not protected", ro)
	}
}

// TestLiveNeverShadowed: a dead copy of a live property (stored by an
// older version, or behind the server's back) never answers for it: PROPFIND
// by name gives the live value, and allprop and propname list the name
// once, as the live property.
func TestLiveNeverShadowed(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	stale := []byte(`<W:Win32LastModifiedTime xmlns:W="urn:schemas-microsoft-com:">Thu, 01 Jan 1970 00:00:00 GMT</W:Win32LastModifiedTime>`)
	if err := h.props.PatchProps(context.Background(), "/f", map[xml.Name][]byte{nameWin32Modified: stale}, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := h.fs.Stat(context.Background(), "/f")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := readLastModified(member{fi: fi})
	propfind := func(body string) string {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("PROPFIND", "/f", strings.NewReader(body))
		r.Header.Set("Depth", "0")
		h.ServeHTTP(rec, r)
		return rec.Body.String()
	}
	named := propfind(`<D:propfind xmlns:D="DAV:"><D:prop><W:Win32LastModifiedTime xmlns:W="urn:schemas-microsoft-com:"/></D:prop></D:propfind>`)
	if !strings.Contains(named, want) || strings.Contains(named, "1970") {
		t.Errorf("by name, want the live %q:\n%s", want, named)
	}
	all := propfind(`<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><W:Win32LastModifiedTime xmlns:W="urn:schemas-microsoft-com:"/></D:include></D:propfind>`)
	if strings.Contains(all, "1970") || strings.Count(all, "Win32LastModifiedTime") != 2 || !strings.Contains(all, want) {
		t.Errorf("allprop with include, want the live value once:\n%s", all)
	}
	names := propfind(`<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`)
	if strings.Contains(names, "Win32LastModifiedTime") {
		t.Errorf("propname lists a live property outside allprop:\n%s", names)
	}
}

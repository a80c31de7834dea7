package dav

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
	for i := 1; i < len(liveProps); i++ {
		if liveProps[i].allprop && !liveProps[i-1].allprop {
			t.Errorf("%v: an allprop row after one outside allprop (allprop and propname stop at the first)", liveProps[i].name)
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
	if !protectedIn(map[xml.Name]*liveProp{ro: {name: ro, read: readVia(appendContentLength)}}, ro) {
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
	want, _ := readVia(appendLastModified)(member{fi: fi})
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

// usageCounter counts the Usage calls (a statfs each) of a FileSystem.
type usageCounter struct {
	FileSystem
	calls atomic.Int64
}

func (u *usageCounter) Usage() (avail, used uint64, err error) {
	u.calls.Add(1)
	return u.FileSystem.Usage()
}

// TestAllpropAndPropnameSkipQuota: allprop and propname read only the rows
// they list (RFC 4331 §3: the quota properties only by name), so listing a
// folder costs no statfs per collection; asking by name does.
func TestAllpropAndPropnameSkipQuota(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body string
		usage      bool
	}{
		{"RFC4918_9.1/allprop", `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, false},
		{"RFC4918_9.1/propname", `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`, false},
		{"RFC4331_3/by_name", `<D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/></D:prop></D:propfind>`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newTestHandler(t)
			u := &usageCounter{FileSystem: h.fs}
			h.fs = u
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("PROPFIND", "/", strings.NewReader(tt.body))
			r.Header.Set("Depth", "1")
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusMultiStatus {
				t.Fatalf("PROPFIND = %d\n%s", rec.Code, rec.Body)
			}
			if got := u.calls.Load() > 0; got != tt.usage {
				t.Errorf("%d Usage calls, want some: %v", u.calls.Load(), tt.usage)
			}
		})
	}
}

package dav

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBodyCache checks the cache of parsed PROPFIND bodies (RFC 4918
// §9.1): the same bytes give the same answer from the cache, a malformed
// body is refused every time and never kept, a body too long to cache is
// still parsed, the cache stays bounded, and a body over the request limit
// is still 413.
func TestBodyCache(t *testing.T) {
	t.Parallel()
	var c bodyCache
	parse := func(body string) (*propfindBody, error) {
		return c.parse(strings.NewReader(body))
	}
	first, err := parse(benchPropfindBody)
	if err != nil {
		t.Fatal(err)
	}
	again, err := parse(benchPropfindBody)
	if err != nil || again != first {
		t.Fatalf("second parse: %p, %v; want the cached %p", again, err, first)
	}
	if first.kind != namedProps || len(first.names) != 4 {
		t.Fatalf("parsed as %+v", first)
	}
	bad := `<D:propfind xmlns:D="DAV:"><D:prop><x:y/></D:prop></D:propfind>`
	for range 2 {
		if _, err := parse(bad); !errors.Is(err, errBadXML) {
			t.Fatalf("undeclared prefix: %v, want errBadXML", err)
		}
	}
	long := `<D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat(`<D:getetag/>`, 100) + `</D:prop></D:propfind>`
	if len(long) <= maxCachedBody {
		t.Fatal("the long body is not long enough")
	}
	if pb, err := parse(long); err != nil || len(pb.names) != 100 {
		t.Fatalf("long body: %v names, %v", pb, err)
	}
	if _, ok := c.m[long]; ok {
		t.Error("a body over maxCachedBody was cached")
	}
	for i := range 2 * maxCachedBodies {
		if _, err := parse(fmt.Sprintf(`<D:propfind xmlns:D="DAV:"><D:prop><D:p%d/></D:prop></D:propfind>`, i)); err != nil {
			t.Fatal(err)
		}
		if len(c.m) > maxCachedBodies {
			t.Fatalf("%d bodies cached, at most %d allowed", len(c.m), maxCachedBodies)
		}
	}
	w := httptest.NewRecorder()
	_, err = c.parse(http.MaxBytesReader(w, io.NopCloser(strings.NewReader(benchPropfindBody)), 10))
	if statusOf(err) != http.StatusRequestEntityTooLarge {
		t.Fatalf("body over the limit: %v (status %d), want 413", err, statusOf(err))
	}
}

package dav

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExecutableProperty: Apache's executable is live: PROPPATCH T/F
// changes the mode (davfs2's chmod +x), anything else is 409, and it is
// reported under Apache's name and KIO's DAV: one.
func TestExecutableProperty(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	patch := func(v string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("PROPPATCH", "/f", strings.NewReader(
			`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><A:executable xmlns:A="http://apache.org/dav/props/">`+v+`</A:executable></D:prop></D:set></D:propertyupdate>`)))
		return rec.Body.String()
	}
	if body := patch("T"); !strings.Contains(body, "200 OK") {
		t.Fatalf("set T:\n%s", body)
	}
	if fi, _ := os.Stat(filepath.Join(localRoot(h), "f")); fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode after T = %v, want 0755", fi.Mode().Perm())
	}
	if body := patch("maybe"); !strings.Contains(body, "409 Conflict") {
		t.Fatalf("set maybe:\n%s", body)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("PROPFIND", "/f", strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:prop><D:executable/><A:executable xmlns:A="http://apache.org/dav/props/"/></D:prop></D:propfind>`))
	req.Header.Set("Depth", "0")
	h.ServeHTTP(rec, req)
	if strings.Count(rec.Body.String(), ">T</") != 2 {
		t.Fatalf("PROPFIND executable:\n%s", rec.Body.String())
	}
	patch("F")
	if fi, _ := os.Stat(filepath.Join(localRoot(h), "f")); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode after F = %v, want 0644", fi.Mode().Perm())
	}
}

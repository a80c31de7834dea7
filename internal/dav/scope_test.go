package dav

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestScopedView: a view rooted at /c serves it as "/", hides the rest of
// the share, and a read-only view refuses every write method.
func TestScopedView(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	view := h.Scoped("", "/c", true)

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("PROPFIND", "/", nil)
	req.Header.Set("Depth", "1")
	view.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusMultiStatus || !strings.Contains(body, "<D:href>/</D:href>") || !strings.Contains(body, "<D:href>/m</D:href>") {
		t.Fatalf("PROPFIND / through the view = %d\n%s", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	view.ServeHTTP(rec, httptest.NewRequest("GET", "/../f", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("GET /../f through the view = %d, want 404 (outside the view)", rec.Code)
	}
	for _, m := range []string{"PUT", "DELETE", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"} {
		rec = httptest.NewRecorder()
		view.ServeHTTP(rec, httptest.NewRequest(m, "/m", strings.NewReader("")))
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s through a read-only view = %d, want 403", m, rec.Code)
		}
	}
	rec = httptest.NewRecorder()
	view.ServeHTTP(rec, httptest.NewRequest("GET", "/m", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "y" {
		t.Fatalf("GET /m through the view = %d %q", rec.Code, rec.Body.String())
	}
}

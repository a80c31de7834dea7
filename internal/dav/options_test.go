package dav

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCollectionOptionsAgree: the OPTIONS answer the server gives a
// client before it authenticates (WriteCollectionOptions) is the one the
// handler gives for a collection, header for header (RFC 4918 §10.1).
func TestCollectionOptionsAgree(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	served := httptest.NewRecorder()
	h.ServeHTTP(served, httptest.NewRequest("OPTIONS", "/c/", nil))
	direct := httptest.NewRecorder()
	WriteCollectionOptions(direct)
	if served.Code != http.StatusOK || direct.Code != http.StatusOK {
		t.Fatalf("statuses %d and %d, want 200", served.Code, direct.Code)
	}
	for _, k := range []string{"Allow", "DAV", "MS-Author-Via", "Content-Length"} {
		if got, want := direct.Header().Get(k), served.Header().Get(k); got != want || want == "" {
			t.Errorf("%s: %q without looking, %q from the handler", k, got, want)
		}
	}
	file := httptest.NewRecorder()
	h.ServeHTTP(file, httptest.NewRequest("OPTIONS", "/f", nil))
	if got := file.Header().Get("Allow"); got != allowFile {
		t.Errorf("file Allow %q, want %q", got, allowFile)
	}
}

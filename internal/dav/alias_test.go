package dav

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

// TestViewRootThroughSymlink: a user's root that is itself a symlink
// (/bob -> data/bob) works as a plain folder would: hrefs under the
// user's "/", the root kept, locks the user takes removable by them.
func TestViewRootThroughSymlink(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data", "bob"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "data", "bob", "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("data", "bob"), filepath.Join(root, "bob")); err != nil {
		t.Fatal(err)
	}
	view := newHandlerAt(t, root, bolt.Options{}, Config{}).Scoped("bob", "/bob", false)
	serve := func(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
		return call(view, method, target, body, hdr...)
	}

	rec := serve("PROPFIND", "/", "", "Depth", "1")
	if body := rec.Body.String(); rec.Code != http.StatusMultiStatus || !strings.Contains(body, "<D:href>/</D:href>") ||
		!strings.Contains(body, "<D:href>/f</D:href>") || strings.Contains(body, "data") {
		t.Errorf("PROPFIND / = %d\n%s\nwant hrefs / and /f", rec.Code, body)
	}
	if rec := serve("GET", "/", ""); rec.Code != http.StatusOK || rec.Body.String() != "f\n" {
		t.Errorf("GET / = %d %q, want the listing f", rec.Code, rec.Body.String())
	}
	for _, m := range []string{"DELETE", "MOVE"} {
		if rec := serve(m, "/", "", "Destination", "/moved"); rec.Code != http.StatusForbidden {
			t.Errorf("%s / = %d, want 403 (the root is kept)", m, rec.Code)
		}
	}
	if rec := serve("COPY", "/f", "", "Destination", "/"); rec.Code != http.StatusForbidden {
		t.Errorf("COPY /f to / = %d, want 403 (the root is kept)", rec.Code)
	}
	rec = serve("LOCK", "/f", `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<D:lockroot><D:href>/f</D:href>") {
		t.Fatalf("LOCK /f = %d\n%s\nwant 200 with lockroot /f", rec.Code, rec.Body.String())
	}
	tok := rec.Header().Get("Lock-Token")
	if rec := serve("UNLOCK", "/f", "", "Lock-Token", tok); rec.Code != http.StatusNoContent {
		t.Errorf("UNLOCK /f = %d %s, want 204: the lock is bob's, rooted in his view", rec.Code, rec.Body.String())
	}
	if rec := serve("PUT", "/g", "new"); rec.Code != http.StatusCreated {
		t.Errorf("PUT /g = %d, want 201", rec.Code)
	}
	if b, err := os.ReadFile(filepath.Join(root, "data", "bob", "g")); err != nil || string(b) != "new" {
		t.Errorf("data/bob/g = %q, %v", b, err)
	}
}

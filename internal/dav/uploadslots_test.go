package dav

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

// TestUploadSlots: the server-wide bound and the per-principal one each
// refuse one slot more than they allow, a released slot can be taken
// again, and releasing twice gives back one slot.
func TestUploadSlots(t *testing.T) {
	t.Parallel()
	s := newUploadSlots(3, 2)
	take := func(who string) func() {
		t.Helper()
		release, err := s.take(who)
		if err != nil {
			t.Fatalf("take(%q): %v", who, err)
		}
		return release
	}
	refused := func(who, why string) {
		t.Helper()
		_, err := s.take(who)
		if !errors.Is(err, errTooManyUploads) || !strings.Contains(err.Error(), why) {
			t.Fatalf("take(%q): %v, want errTooManyUploads saying %q", who, err, why)
		}
	}
	a1 := take("alice")
	take("alice")
	refused("alice", "as one user may at once (2)")
	take("") // anonymous is a principal of its own
	refused("bob", "as it takes at once (3)")
	a1()
	a1() // a second release gives nothing back
	take("bob")
	refused("carol", "as it takes at once (3)")

	unbounded := newUploadSlots(0, 0)
	for range 1000 {
		if _, err := unbounded.take("alice"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPutWithoutSlot: a PUT that finds every slot taken is 503 with
// Retry-After and a body saying why, before any temp file is made, and is
// not reported as a server failure; once a slot is free the same PUT
// succeeds.
func TestPutWithoutSlot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	h := newHandlerAt(t, root, bolt.Options{}, Config{
		MaxUploads: 1,
		OnError:    func(_ *http.Request, err error) { t.Errorf("reported as a server failure: %v", err) },
	}).Scoped("alice", "/", false)
	release, err := h.uploads.take("bob")
	if err != nil {
		t.Fatal(err)
	}
	put := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("PUT", "/f", strings.NewReader("content")))
		return rec
	}
	rec := put()
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "10" ||
		!strings.Contains(rec.Body.String(), "too many uploads in progress") {
		t.Fatalf("PUT with every slot taken: %d, Retry-After %q, %q", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != ".atomdav" {
			t.Fatalf("%s made by a refused PUT", e.Name())
		}
	}
	release()
	if rec := put(); rec.Code != http.StatusCreated {
		t.Fatalf("PUT with a free slot: %d %s", rec.Code, rec.Body)
	}
}

package dav

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/localfs"
)

// newTestHandler serves a fresh folder holding /f (a file) and /c/m (a
// collection with a member).
func newTestHandler(t *testing.T) *Handler {
	t.Helper()
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(root, "c"), 0o755)
	os.WriteFile(filepath.Join(root, "c", "m"), []byte("y"), 0o644)
	return newHandlerAt(t, root, bolt.Options{}, Config{})
}

// newHandlerAt serves root with cfg, its properties in a bolt store with
// opts in root's state folder, closed when tb ends.
func newHandlerAt(tb testing.TB, root string, opts bolt.Options, cfg Config) *Handler {
	tb.Helper()
	return newHandlerWrapped(tb, root, opts, nil, cfg)
}

// newHandlerWrapped is newHandlerAt with the store seen through wrap (a
// test double that fails or changes the tree at a chosen call); nil wrap
// serves the store itself.
func newHandlerWrapped(tb testing.TB, root string, opts bolt.Options, wrap func(*bolt.Store) storage.Store, cfg Config) *Handler {
	tb.Helper()
	b, err := bolt.Open(filepath.Join(root, ".atomdav", "state.db"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	var store storage.Store = b
	if wrap != nil {
		store = wrap(b)
	}
	if cfg.FS, err = localfs.New(root, store, localfs.Options{Hidden: ".atomdav"}); err != nil {
		tb.Fatal(err)
	}
	cfg.Store, cfg.Locks = store, store
	h, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// localRoot is the local folder h serves.
func localRoot(h *Handler) string { return h.fs.(*localfs.FS).Root() }

func lockFor(t *testing.T, h *Handler, root string, depth0, shared bool) string {
	t.Helper()
	l, err := h.locks.CreateLock(context.Background(), storage.Lock{Token: newToken(), Root: root, Depth0: depth0, Shared: shared, Timeout: time.Minute}, storage.LockLimits{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Token
}

// TestCheckWrite evaluates the If header and lock rules of RFC 4918 §10.4
// and §7 for a PROPPATCH-like write of one resource.
func TestCheckWrite(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	fileTok := lockFor(t, h, "/f", true, false)
	collTok := lockFor(t, h, "/c", false, false)
	fi, _ := h.fs.Stat(context.Background(), "/f")
	tag := etag(fi)
	tests := []struct {
		name   string
		path   string
		ifHdr  string
		status int
	}{
		{"RFC4918 7.1 locked without token", "/f", "", http.StatusLocked},
		{"RFC4918 10.4.6 token submitted", "/f", "(<" + fileTok + ">)", 0},
		{"RFC4918 10.4.9 tagged list", "/f", "<http://example.com/f> (<" + fileTok + ">)", 0},
		{"RFC4918 10.4.1 unknown token is 412", "/f", "(<urn:uuid:bogus>)", http.StatusPreconditionFailed},
		{"RFC4918 10.4.3 token and matching etag", "/f", "(<" + fileTok + "> [" + tag + "])", 0},
		{"RFC4918 10.4.3 token and wrong etag", "/f", "(<" + fileTok + `> ["nope"])`, http.StatusPreconditionFailed},
		{"RFC4918 10.4.2 OR of lists", "/f", "(<urn:uuid:bogus>) (<" + fileTok + ">)", 0},
		{"RFC4918 10.4.8 Not of a bogus token, lock not submitted", "/f", "(Not <urn:uuid:bogus>)", http.StatusLocked},
		{"RFC4918 10.4.8 Not DAV:no-lock with the token", "/f", "(<" + fileTok + ">) (Not <DAV:no-lock>)", 0},
		{"RFC4918 10.4 malformed", "/f", "(<urn:x>", http.StatusBadRequest},
		{"RFC4918 7.5 member of a depth-infinity lock", "/c/m", "", http.StatusLocked},
		{"RFC4918 7.5 member with the collection's token", "/c/m", "(<" + collTok + ">)", 0},
		{"RFC4918 10.4.4 token of another resource's lock", "/c/m", "(<" + fileTok + ">)", http.StatusPreconditionFailed},
		{"RFC4918 7.1 locked collection without token", "/c", "", http.StatusLocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PROPPATCH", tt.path, nil)
			if tt.ifHdr != "" {
				r.Header.Set("If", tt.ifHdr)
			}
			if st, err := h.checkWrite(r, tt.path, scope{touched: []string{tt.path}}); st != tt.status {
				t.Fatalf("checkWrite = %d (%v), want %d", st, err, tt.status)
			}
		})
	}
}

// TestCheckWriteTrees: a DELETE of a collection needs the token of every
// lock below it (RFC 4918 §9.6.1), and shared locks need only one of theirs.
func TestCheckWriteTrees(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	member := lockFor(t, h, "/c/m", true, false)
	r := httptest.NewRequest("DELETE", "/c", nil)
	if st, _ := h.checkWrite(r, "/c", scope{touched: withParent("/c"), trees: []string{"/c"}}); st != http.StatusLocked {
		t.Fatalf("DELETE over a locked member = %d, want 423", st)
	}
	r.Header.Set("If", "</c/m> (<"+member+">)")
	if st, err := h.checkWrite(r, "/c", scope{touched: withParent("/c"), trees: []string{"/c"}}); st != 0 {
		t.Fatalf("DELETE with the member's token = %d (%v), want 0", st, err)
	}
	a, _ := lockFor(t, h, "/f", true, true), lockFor(t, h, "/f", true, true)
	w := httptest.NewRequest("PUT", "/f", nil)
	w.Header.Set("If", "(<"+a+">)")
	if st, err := h.checkWrite(w, "/f", scope{touched: []string{"/f"}}); st != 0 {
		t.Fatalf("write with one of two shared tokens = %d (%v), want 0", st, err)
	}
}

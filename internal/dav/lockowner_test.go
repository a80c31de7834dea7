package dav

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

const lockBody = `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope>` +
	`<D:locktype><D:write/></D:locktype><D:owner>the owner</D:owner></D:lockinfo>`

// call serves one request through h.
func call(h *Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// TestLockPrincipals checks RFC 4918 §6.4 through views of three
// principals: alice (all of the share) locks / with depth infinity; bob
// (root /bob) and anonymous see the lock without its token, and can
// neither refresh, remove nor write with it, even knowing it; alice can.
func TestLockPrincipals(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bob"), 0o755)
	os.WriteFile(filepath.Join(root, "bob", "f"), []byte("x"), 0o644)
	h := newHandlerAt(t, root, bolt.Options{}, Config{})
	alice, bob, anon := h.Scoped("alice", "/", false), h.Scoped("bob", "/bob", false), h.Scoped("", "/", false)

	rec := call(alice, "LOCK", "/", lockBody, "Depth", "infinity")
	token := strings.Trim(rec.Header().Get("Lock-Token"), "<>")
	if rec.Code != http.StatusOK || token == "" || !strings.Contains(rec.Body.String(), token) {
		t.Fatalf("alice's LOCK / = %d, Lock-Token %q, body %s", rec.Code, token, rec.Body)
	}
	ifHdr := "(<" + token + ">)"
	for name, v := range map[string]*Handler{"bob": bob, "anonymous": anon} {
		body := call(v, "PROPFIND", "/", "", "Depth", "0").Body.String()
		if strings.Contains(body, token) || !strings.Contains(body, "the owner") || !strings.Contains(body, "<D:shared/>") {
			t.Errorf("%s's PROPFIND shows the token, or not the owner and scope: %s", name, body)
		}
		target := "/f"
		if v == anon {
			target = "/bob/f"
		}
		checks := []struct {
			method string
			hdr    []string
			want   int
		}{
			{"PUT", []string{"If", ifHdr}, http.StatusLocked},
			{"LOCK", []string{"If", ifHdr}, http.StatusForbidden},
			{"UNLOCK", []string{"Lock-Token", "<" + token + ">"}, http.StatusForbidden},
		}
		for _, c := range checks {
			if got := call(v, c.method, target, "", c.hdr...).Code; got != c.want {
				t.Errorf("%s's %s %s with alice's token = %d, want %d", name, c.method, target, got, c.want)
			}
		}
	}
	if body := call(alice, "PROPFIND", "/bob/f", "", "Depth", "0").Body.String(); !strings.Contains(body, token) {
		t.Errorf("alice's PROPFIND does not show her own token: %s", body)
	}
	if got := call(alice, "PUT", "/bob/f", "y", "If", ifHdr).Code; got != http.StatusNoContent {
		t.Errorf("alice's PUT with her token = %d, want 204", got)
	}
	if got := call(alice, "LOCK", "/", "", "If", ifHdr).Code; got != http.StatusOK {
		t.Errorf("alice's refresh = %d, want 200", got)
	}
	if got := call(alice, "UNLOCK", "/bob", "", "Lock-Token", "<"+token+">").Code; got != http.StatusNoContent {
		t.Errorf("alice's UNLOCK = %d, want 204", got)
	}
}

// TestLockAboveView checks that a lock rooted above a view, even of the
// view's own principal, is enforced there but cannot be refreshed or
// removed through it.
func TestLockAboveView(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bob"), 0o755)
	h := newHandlerAt(t, root, bolt.Options{}, Config{})
	wide, narrow := h.Scoped("bob", "/", false), h.Scoped("bob", "/bob", false)
	token := strings.Trim(call(wide, "LOCK", "/", lockBody).Header().Get("Lock-Token"), "<>")
	if token == "" {
		t.Fatal("no lock")
	}
	if got := call(narrow, "PUT", "/g", "x").Code; got != http.StatusLocked {
		t.Errorf("PUT without the token under a lock above the view = %d, want 423", got)
	}
	if got := call(narrow, "LOCK", "/", "", "If", "(<"+token+">)").Code; got != http.StatusForbidden {
		t.Errorf("refresh through the narrow view = %d, want 403", got)
	}
	if got := call(narrow, "UNLOCK", "/", "", "Lock-Token", "<"+token+">").Code; got != http.StatusForbidden {
		t.Errorf("UNLOCK through the narrow view = %d, want 403", got)
	}
	if got := call(wide, "UNLOCK", "/", "", "Lock-Token", "<"+token+">").Code; got != http.StatusNoContent {
		t.Errorf("UNLOCK through the wide view = %d, want 204", got)
	}
}

// TestCheckWriteForeignToken checks that another principal's token
// submitted for a lock below a collection does not let a DELETE of the
// collection remove that lock.
func TestCheckWriteForeignToken(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	member := lockFor(t, h, "/c/m", true, false) // anonymous's
	bob := h.Scoped("bob", "/", false)
	r := httptest.NewRequest("DELETE", "/c", nil)
	r.Header.Set("If", "</c/m> (<"+member+">)")
	sc := scope{touched: withParent("/c"), trees: []string{"/c"}}
	if st, _ := bob.checkWrite(r, "/c", sc); st != http.StatusLocked {
		t.Errorf("bob's DELETE with anonymous's token = %d, want 423", st)
	}
	if st, err := h.checkWrite(r, "/c", sc); st != 0 {
		t.Errorf("anonymous's DELETE with its token = %d (%v), want 0", st, err)
	}
}

// TestLockLimits checks that a LOCK over a limit is 507 with a body saying
// so, that the lock is not taken, and that it is not reported as a server
// failure.
func TestLockLimits(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644)
	var failures atomic.Int32
	h := newHandlerAt(t, root, bolt.Options{}, Config{
		LockLimits: storage.LockLimits{PerResource: 2, PerPrincipal: 3},
		OnError:    func(*http.Request, error) { failures.Add(1) },
	})
	alice, bob := h.Scoped("alice", "/", false), h.Scoped("bob", "/", false)
	steps := []struct {
		who    *Handler
		target string
		want   int
	}{
		{alice, "/f", http.StatusOK},
		{bob, "/f", http.StatusOK},
		{bob, "/f", http.StatusInsufficientStorage}, // per resource
		{alice, "/g", http.StatusCreated},
		{alice, "/h", http.StatusCreated},
		{alice, "/i", http.StatusInsufficientStorage}, // per principal
		{bob, "/i", http.StatusCreated},
	}
	for i, s := range steps {
		rec := call(s.who, "LOCK", s.target, lockBody)
		if rec.Code != s.want {
			t.Fatalf("step %d: LOCK %s = %d, want %d: %s", i, s.target, rec.Code, s.want, rec.Body)
		}
		if s.want == http.StatusInsufficientStorage && !strings.Contains(rec.Body.String(), "too many locks (at most 2 on one resource, 3 per user)") {
			t.Errorf("step %d: body %q does not say which limits hold", i, rec.Body)
		}
	}
	if n := failures.Load(); n != 0 {
		t.Errorf("OnError called %d times: a client over its lock limit is no server failure", n)
	}
}

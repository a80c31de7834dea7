package dav

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/access"
	"github.com/atomdav/atomdav/storage/bolt"
)

// serveAs sends one request through h with header pairs hdr.
func serveAs(h *Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	h.ServeHTTP(rec, req)
	return rec
}

// TestRulesThroughSymlinkedRoot: a user whose root is a symlink sees the
// members of its Real folder, named under the root; the user's rules,
// which are on those names, hide them in listings as in requests.
func TestRulesThroughSymlinkedRoot(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	root := localRoot(h)
	os.MkdirAll(filepath.Join(root, "data", "alice", "private"), 0o755)
	os.WriteFile(filepath.Join(root, "data", "alice", "private", "s.txt"), []byte("secret"), 0o644)
	os.WriteFile(filepath.Join(root, "data", "alice", "ok.txt"), []byte("ok"), 0o644)
	if err := os.Symlink("data/alice", filepath.Join(root, "alice")); err != nil {
		t.Fatal(err)
	}
	v := h.Scoped("alice", "/alice", false).Restricted(access.Compile(nil, "/alice", []access.Rule{{Path: "/private", Level: access.None}}))
	if rec := serveAs(v, "GET", "/private/s.txt", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /private/s.txt = %d, want 404", rec.Code)
	}
	rec := serveAs(v, "PROPFIND", "/", "", "Depth", "1")
	if rec.Code != http.StatusMultiStatus || strings.Contains(rec.Body.String(), "private") || !strings.Contains(rec.Body.String(), "ok.txt") {
		t.Errorf("PROPFIND / = %d\n%s", rec.Code, rec.Body)
	}
	if rec := serveAs(v, "GET", "/", ""); strings.Contains(rec.Body.String(), "private") || !strings.Contains(rec.Body.String(), "ok.txt") {
		t.Errorf("GET / lists\n%s", rec.Body)
	}
}

// TestRulesIfHeader: an If header naming a resource the rules hide
// evaluates it as absent, so its ETag cannot be probed through the
// outcome of a write elsewhere.
func TestRulesIfHeader(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	tag := serveAs(h, "GET", "/c/m", "").Header().Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	v := h.Scoped("", "/", false).Restricted(access.Compile([]access.Rule{{Path: "/c", Level: access.None}}, "/", nil))
	if rec := serveAs(h, "PUT", "/f", "1", "If", "</c/m> (["+tag+"])"); rec.Code != http.StatusNoContent {
		t.Fatalf("without rules: PUT with a true If = %d\n%s", rec.Code, rec.Body)
	}
	if rec := serveAs(v, "PUT", "/f", "2", "If", "</c/m> (["+tag+"])"); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("PUT with an If on a hidden resource's real ETag = %d, want 412", rec.Code)
	}
	if rec := serveAs(v, "PUT", "/f", "3", "If", "</c/m> (Not ["+tag+"])"); rec.Code != http.StatusNoContent {
		t.Errorf("PUT with an If on Not a hidden resource's ETag = %d, want 204 (as for a missing one)", rec.Code)
	}
}

// TestHidePatterns: names matching Config.Hide are left out of PROPFIND
// and listings but reachable by name; New refuses a malformed pattern.
func TestHidePatterns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, n := range []string{"a.tmp", "~$doc.docx", "keep.txt", "A.TMP"} {
		os.WriteFile(filepath.Join(root, n), []byte("j"), 0o644)
	}
	h := newHandlerAt(t, root, bolt.Options{}, Config{Hide: []string{"*.tmp", "~$*"}})
	body := serveAs(h, "PROPFIND", "/", "", "Depth", "1").Body.String()
	if strings.Contains(body, "a.tmp") || strings.Contains(body, "doc.docx") || !strings.Contains(body, "keep.txt") || !strings.Contains(body, "A.TMP") {
		t.Errorf("PROPFIND lists\n%s", body)
	}
	if body := serveAs(h, "GET", "/", "").Body.String(); strings.Contains(body, "a.tmp") || !strings.Contains(body, "keep.txt") {
		t.Errorf("listing is\n%s", body)
	}
	if rec := serveAs(h, "GET", "/a.tmp", ""); rec.Code != http.StatusOK {
		t.Errorf("GET /a.tmp = %d, want 200", rec.Code)
	}
	for _, bad := range []string{"[", "a/*.tmp", ""} {
		cfg := Config{FS: h.fs, Store: h.props, Locks: h.locks, Hide: []string{bad}}
		if _, err := New(cfg); err == nil {
			t.Errorf("New accepted the hide pattern %q", bad)
		}
	}
}

// TestRulesCheckAllocs: judging a path by the rules allocates nothing.
func TestRulesCheckAllocs(t *testing.T) {
	h := newTestHandler(t)
	v := h.Scoped("", "/", false).Restricted(access.Compile([]access.Rule{{Path: "/c", Level: access.None}, {Path: "/d", Level: access.Read}}, "/", nil))
	n := testing.AllocsPerRun(100, func() {
		v.listed("/c/m")
		v.mayWrite("/d/x")
		v.ocPermissions("/e", true)
	})
	if n != 0 {
		t.Errorf("%v allocations per check, want 0", n)
	}
}

package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateFolderHidden checks that the state folder (DESIGN §5) is never
// listed, read nor written over WebDAV.
func TestStateFolderHidden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.put(t, "/f.txt", "content")
	db := filepath.Join(dir, ".atomdav", "state.db")
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("state store not where expected: %v", err)
	}

	t.Run("RFC4918_9.1/not-listed", func(t *testing.T) {
		for h := range s.propfind(t, "/", "1") {
			if strings.Contains(h, ".atomdav") {
				t.Errorf("PROPFIND Depth 1 / lists %s", h)
			}
		}
		if r := s.do(t, "GET", "/", ""); r.Status != http.StatusOK || bytes.Contains(r.Body, []byte(".atomdav")) {
			t.Errorf("GET / listing: status %d, mentions .atomdav: %v", r.Status, bytes.Contains(r.Body, []byte(".atomdav")))
		}
	})
	reads := []struct{ method, path string }{
		{"GET", "/.atomdav"}, {"GET", "/.atomdav/"}, {"GET", "/.atomdav/state.db"}, {"HEAD", "/.atomdav/state.db"},
		{"PROPFIND", "/.atomdav"}, {"PROPFIND", "/.atomdav/state.db"}, {"GET", "/%2eatomdav/state.db"},
	}
	for _, rd := range reads {
		t.Run("RFC4918_9.4/"+rd.method+rd.path+"-404", func(t *testing.T) {
			r := s.do(t, rd.method, rd.path, "", "Depth", "0")
			want(t, r, http.StatusNotFound, rd.method+" "+rd.path)
		})
	}
	t.Run("RFC4918_9.4/raw-dotdot-into-state-404", func(t *testing.T) {
		r := s.rawRequest(t, "GET /f.txt/../.atomdav/state.db HTTP/1.1\r\nHost: "+s.Addr+"\r\nConnection: close\r\n\r\n")
		want(t, r, http.StatusNotFound, "GET /f.txt/../.atomdav/state.db")
	})
	writes := []struct {
		method, path string
		hdr          []string
	}{
		{"PUT", "/.atomdav/x", nil},
		{"PUT", "/.atomdav/state.db", nil},
		{"MKCOL", "/.atomdav/x", nil},
		{"DELETE", "/.atomdav", nil},
		{"DELETE", "/.atomdav/state.db", nil},
		{"PROPPATCH", "/.atomdav", nil},
		{"MOVE", "/.atomdav", []string{"Destination", "/stolen"}},
		{"COPY", "/.atomdav", []string{"Destination", "/stolen"}},
		{"MOVE", "/f.txt", []string{"Destination", "/.atomdav/f.txt"}},
		{"COPY", "/f.txt", []string{"Destination", "/.atomdav/state.db"}},
	}
	for _, w := range writes {
		t.Run("RFC4918_9.7/"+w.method+w.path+"-403", func(t *testing.T) {
			body := ""
			if w.method == "PUT" {
				body = "overwritten"
			}
			if w.method == "PROPPATCH" {
				body = update(`<Z:a>x</Z:a>`)
			}
			r := s.do(t, w.method, w.path, body, w.hdr...)
			want(t, r, http.StatusForbidden, w.method+" "+w.path)
		})
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		t.Errorf("state.db after the writes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stolen")); err == nil {
		t.Errorf("/stolen exists: the state folder was copied or moved")
	}
	want(t, s.do(t, "GET", "/f.txt", ""), http.StatusOK, "GET /f.txt")
}

// TestPathTraversal checks that the root is a jail (DESIGN §6): no "..",
// encoded dots nor symlink reaches outside it.
func TestPathTraversal(t *testing.T) {
	t.Parallel()
	root, outside := jail(t)
	s := startServer(t, root)

	leaked := func(b []byte) bool {
		return bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte("root:x:0:0"))
	}
	refused := func(st int) bool {
		return st == http.StatusBadRequest || st == http.StatusForbidden || st == http.StatusNotFound
	}

	// Sent over raw TCP: net/http would clean these paths.
	raw := []string{
		"/../etc/passwd",
		"/../../../../../../etc/passwd",
		"/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
		"/../outside/secret.txt",
		"/%2e%2e/outside/secret.txt",
		"/%2E%2E/outside/secret.txt",
		"/%2e%2e%2foutside%2fsecret.txt",
		"/..%2f..%2f..%2f..%2fetc%2fpasswd",
		"/.%2e/outside/secret.txt",
		"/a/../../outside/secret.txt",
		"//..//outside//secret.txt",
		"/link/secret.txt",
		"/link/",
		"/linkfile",
		"/a/../linkfile",
	}
	for _, p := range raw {
		for _, method := range []string{"GET", "PROPFIND"} {
			t.Run("DESIGN6/"+method+"-"+p, func(t *testing.T) {
				req := method + " " + p + " HTTP/1.1\r\nHost: " + s.Addr + "\r\nDepth: 1\r\nConnection: close\r\n\r\n"
				r := s.rawRequest(t, req)
				if !refused(r.Status) || leaked(r.Body) {
					t.Errorf("%s %s: %s\nwant 400, 403 or 404 without the outside file", method, p, r)
				}
			})
		}
	}

	writes := []struct {
		method, path, body string
		hdr                []string
	}{
		{"PUT", "/link/new.txt", "planted", nil},
		{"PUT", "/linkfile", "overwritten", nil},
		{"MKCOL", "/link/newdir", "", nil},
		{"PROPPATCH", "/linkfile", update(`<Z:a>x</Z:a>`), nil},
		{"PROPPATCH", "/link/secret.txt", update(`<Z:a>x</Z:a>`), nil},
		{"DELETE", "/linkfile", "", nil},
		{"DELETE", "/link", "", nil},
		{"DELETE", "/link/secret.txt", "", nil},
		{"COPY", "/linkfile", "", []string{"Destination", "/copied.txt"}},
		{"COPY", "/link", "", []string{"Destination", "/copied"}},
		{"MOVE", "/link/secret.txt", "", []string{"Destination", "/stolen.txt"}},
		{"COPY", "/a", "", []string{"Destination", "/link/a"}},
	}
	for _, w := range writes {
		t.Run("DESIGN6/"+w.method+"-"+w.path, func(t *testing.T) {
			r := s.do(t, w.method, w.path, w.body, w.hdr...)
			if !refused(r.Status) || leaked(r.Body) {
				t.Errorf("%s %s: %s\nwant 400, 403 or 404", w.method, w.path, r)
			}
		})
	}
	t.Run("DESIGN6/raw-PUT-dotdot", func(t *testing.T) {
		r := s.rawRequest(t, "PUT /../outside/planted.txt HTTP/1.1\r\nHost: "+s.Addr+"\r\nContent-Length: 7\r\nConnection: close\r\n\r\nplanted")
		if r.Status < 400 && r.Status != http.StatusCreated {
			t.Errorf("PUT /../outside/planted.txt: %s", r)
		}
	})
	t.Run("DESIGN6/not-listed", func(t *testing.T) {
		r := s.do(t, "PROPFIND", "/", propfindBody(), "Depth", "1")
		if leaked(r.Body) {
			t.Errorf("PROPFIND Depth 1 / shows what the symlinks lead to:\n%s", r.Body)
		}
	})

	checkOutsideUntouched(t, outside)
	for _, name := range []string{"copied.txt", "copied", "stolen.txt"} {
		if _, err := os.Lstat(filepath.Join(root, name)); err == nil {
			t.Errorf("%s was created from outside content", name)
		}
	}
}

// secret is the content of the one file outside the root.
const secret = "TOP-SECRET-OUTSIDE-THE-ROOT"

// jail makes a root to serve, with a folder a, next to a folder outside
// holding secret.txt; the root holds symlinks link → outside and
// linkfile → outside/secret.txt.
func jail(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{root, filepath.Join(root, "a"), outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "linkfile")); err != nil {
		t.Fatal(err)
	}
	return root, outside
}

// checkOutsideUntouched fails the test unless outside still holds exactly
// secret.txt with its content.
func checkOutsideUntouched(t *testing.T, outside string) {
	t.Helper()
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "secret.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the outside folder now holds %v, want [secret.txt]", names)
	}
	if b, err := os.ReadFile(filepath.Join(outside, "secret.txt")); err != nil || string(b) != secret {
		t.Errorf("outside/secret.txt changed: %q, %v", b, err)
	}
}

// TestStateFolderThroughSymlink checks that a symlink inside the root
// leading to the state folder does not expose it (DESIGN §5: the state
// folder is never served).
func TestStateFolderThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, ".atomdav"), filepath.Join(dir, "statelink")); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir)
	s.put(t, "/f.txt", "content")
	s.setProp(t, "/f.txt", "a", "kept")
	requests := []struct{ method, path, body string }{
		{"GET", "/statelink/state.db", ""},
		{"PROPFIND", "/statelink/", ""},
		{"PROPFIND", "/statelink/state.db", ""},
		{"PUT", "/statelink/state.db", "garbage"},
		{"PUT", "/statelink/planted", "garbage"},
		{"DELETE", "/statelink/state.db", ""},
	}
	for _, rq := range requests {
		t.Run("DESIGN5/"+rq.method+rq.path, func(t *testing.T) {
			var hdr []string
			if rq.method == "PROPFIND" {
				hdr = []string{"Depth", "1"}
			}
			r := s.do(t, rq.method, rq.path, rq.body, hdr...)
			if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
				t.Errorf("%s %s: %d %s, want 403 or 404", rq.method, rq.path, r.Status, http.StatusText(r.Status))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".atomdav", "planted")); err == nil {
		t.Errorf("a file was planted in the state folder through the symlink")
	}
	// The store must have come through untouched: restart on it.
	s.Stop()
	s = startServer(t, dir)
	s.wantProps(t, "/f.txt", map[string]string{"a": "kept"}, "a")
}

// TestErrorsDoNotDiscloseLocalPaths checks that error bodies name
// resources by URL, never by the server's local path.
func TestErrorsDoNotDiscloseLocalPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.put(t, "/f.txt", "content")
	requests := []struct {
		method, path string
		hdr          []string
	}{
		{"GET", "/missing.txt", nil},
		{"PROPFIND", "/missing.txt", []string{"Depth", "0"}},
		{"PROPPATCH", "/missing.txt", nil},
		{"COPY", "/missing.txt", []string{"Destination", "/x.txt"}},
		{"MOVE", "/missing.txt", []string{"Destination", "/x.txt"}},
		{"DELETE", "/missing.txt", nil},
		{"PUT", "/no/parent.txt", nil},
		{"PUT", "/f.txt/child", nil},
		{"MKCOL", "/no/parent", nil},
	}
	for _, rq := range requests {
		t.Run("RFC4918_8/"+rq.method+rq.path, func(t *testing.T) {
			body := ""
			switch rq.method {
			case "PUT":
				body = "x"
			case "PROPPATCH":
				body = update(`<Z:a>x</Z:a>`)
			}
			r := s.do(t, rq.method, rq.path, body, rq.hdr...)
			if r.Status < 400 {
				t.Fatalf("%s %s: %d, want an error", rq.method, rq.path, r.Status)
			}
			if bytes.Contains(r.Body, []byte(dir)) {
				t.Errorf("%s %s: the %d body discloses the server's local path %s:\n%s", rq.method, rq.path, r.Status, dir, r.Body)
			}
		})
	}
}

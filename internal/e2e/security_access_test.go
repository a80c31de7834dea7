package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The users of the access tests: root reads and writes the whole share,
// carol reads and writes only her folder /carol.
const (
	rootPassword  = "root pass"
	carolPassword = "carol pass"
)

// accessConfig writes a config file (outside the served folder) with the
// users root (root /) and carol (root /carol), both read-write, plus extra
// YAML lines, and returns its path.
func accessConfig(t *testing.T, extra ...string) string {
	t.Helper()
	hash := func(p string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	yaml := fmt.Sprintf(`users:
  - name: root
    hash: %q
    root: /
  - name: carol
    hash: %q
    root: /carol
%s
`, hash(rootPassword), hash(carolPassword), strings.Join(extra, "\n"))
	path := filepath.Join(t.TempDir(), "atomdav.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// accessTree makes the served folder: /carol/c.txt and /carol/sub/s.txt.
func accessTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "carol", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"carol/c.txt": "carol's", "carol/sub/s.txt": "deep"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUserRootIsKept: a user cannot delete, move, overwrite or replace
// with a file the folder they see as "/", nor can a user rooted at / the
// share's root; PROPPATCH and LOCK of it still work.
func TestUserRootIsKept(t *testing.T) {
	t.Parallel()
	dir := accessTree(t)
	s := startAuthServer(t, dir, "--config", accessConfig(t))
	carol, root := basicCreds("carol", carolPassword), basicCreds("root", rootPassword)
	want(t, s.do(t, "PUT", "/x.txt", "x", carol...), http.StatusCreated, "carol PUT /x.txt")

	tests := []struct {
		name, method, path string
		hdr                []string
		want               int
	}{
		{"DELETE-root", "DELETE", "/", nil, http.StatusForbidden},
		{"MOVE-root", "MOVE", "/", []string{"Destination", s.URL + "/moved"}, http.StatusForbidden},
		{"COPY-onto-root-overwrite", "COPY", "/x.txt", []string{"Destination", s.URL + "/", "Overwrite", "T"}, http.StatusForbidden},
		{"MOVE-onto-root-overwrite", "MOVE", "/x.txt", []string{"Destination", s.URL + "/", "Overwrite", "T"}, http.StatusForbidden},
		{"COPY-sub-onto-root", "COPY", "/sub/", []string{"Destination", s.URL + "/", "Overwrite", "T"}, http.StatusForbidden},
		{"PUT-root", "PUT", "/", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run("carol/"+tt.name, func(t *testing.T) {
			want(t, s.do(t, tt.method, tt.path, "replaced", withHeaders(carol, tt.hdr...)...), tt.want, "carol "+tt.method+" "+tt.path)
		})
	}
	t.Run("carol/PROPPATCH-and-LOCK-root-allowed", func(t *testing.T) {
		want(t, s.do(t, "PROPPATCH", "/", authColorProp, carol...), http.StatusMultiStatus, "carol PROPPATCH /")
		r := s.do(t, "LOCK", "/", `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`, carol...)
		want(t, r, http.StatusOK, "carol LOCK /")
		want(t, s.do(t, "UNLOCK", "/", "", withHeaders(carol, "Lock-Token", r.Header.Get("Lock-Token"))...), http.StatusNoContent, "carol UNLOCK /")
	})
	t.Run("root/DELETE-share-root", func(t *testing.T) {
		want(t, s.do(t, "DELETE", "/", "", root...), http.StatusForbidden, "root DELETE /")
		want(t, s.do(t, "MOVE", "/", "", withHeaders(root, "Destination", s.URL+"/elsewhere")...), http.StatusForbidden, "root MOVE /")
		want(t, s.do(t, "PUT", "/", "file", root...), http.StatusMethodNotAllowed, "root PUT /")
	})

	for name, content := range map[string]string{"c.txt": "carol's", "sub/s.txt": "deep", "x.txt": "x"} {
		if b, err := os.ReadFile(filepath.Join(dir, "carol", filepath.FromSlash(name))); err != nil || string(b) != content {
			t.Errorf("/carol/%s after the refusals: %q, %v; want %q", name, b, err, content)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "carol")); err != nil || !fi.IsDir() {
		t.Errorf("carol's folder after the refusals: %v, %v", fi, err)
	}
}

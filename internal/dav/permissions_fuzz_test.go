package dav

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/access"
	"github.com/atomdav/atomdav/storage/bolt"
)

// FuzzRulesNone: whatever the request path (percent-encoding, case,
// dots, doubled slashes, NFD, a symlink into the hidden folder), no GET
// returns the content of a file under a none rule and no PROPFIND or
// listing names it.
func FuzzRulesNone(f *testing.F) {
	for _, s := range []string{"private/secret-name.txt", "PRIVATE/secret-name.txt", "pub/../private/secret-name.txt",
		"%70rivate/secret-name.txt", "pub/link/secret-name.txt", "pub/link/", "private/", "./private//secret-name.txt", "Pr%49vate/"} {
		f.Add(s)
	}
	root := f.TempDir()
	h := newHandlerAt(f, root, bolt.Options{}, Config{})
	os.MkdirAll(filepath.Join(root, "private"), 0o755)
	os.MkdirAll(filepath.Join(root, "pub"), 0o755)
	os.WriteFile(filepath.Join(root, "private", "secret-name.txt"), []byte("TOPSECRET"), 0o644)
	os.Symlink("../private", filepath.Join(root, "pub", "link"))
	v := h.Scoped("", "/", true).Restricted(access.Compile([]access.Rule{{Path: "/private", Level: access.None}}, "/", nil))
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.ParseRequestURI("/" + s)
		if err != nil {
			return
		}
		for _, m := range []string{"GET", "PROPFIND"} {
			req := httptest.NewRequest(m, "/", nil)
			req.URL = u
			req.Header.Set("Depth", "1")
			rec := httptest.NewRecorder()
			v.ServeHTTP(rec, req)
			body := rec.Body.String()
			if strings.Contains(body, "TOPSECRET") || strings.Contains(body, "secret-name") {
				t.Fatalf("%s %q (path %q) = %d shows the hidden file:\n%s", m, s, u.Path, rec.Code, body)
			}
			if rec.Code == http.StatusInternalServerError {
				t.Fatalf("%s %q = 500: %s", m, s, body)
			}
		}
	})
}

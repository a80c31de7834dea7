package dav

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/access"

	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/uploads"
)

// TestErrorPage: a browser's navigation gets a refusal as a small HTML
// page with a strict CSP; a WebDAV client gets text; neither shows the
// operation and local path of an os error, or a Go package prefix.
func TestErrorPage(t *testing.T) {
	t.Parallel()
	root := zipTree(t)
	h := newHandlerAt(t, root, bolt.Options{}, Config{Prefix: "/dav"})
	rec := serveListing(h, "GET", "/dav/nope.txt", browserAccept)
	body := rec.Body.String()
	if rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "<h1>404 Not Found</h1>") || !strings.Contains(body, "no such file or folder") ||
		!strings.Contains(body, `href="/dav/"`) || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("browser GET of a missing file: %d %s\n%s", rec.Code, rec.Header(), body)
	}
	rec = serveListing(h, "GET", "/dav/nope.txt", "*/*")
	if rec.Code != 404 || rec.Body.String() != "Not Found: no such file or folder\n" {
		t.Errorf("client GET of a missing file: %d %q", rec.Code, rec.Body)
	}
	for _, target := range []string{"/dav/out/secret", "/dav/a.txt/x", "/dav/out.txt"} {
		for _, accept := range []string{browserAccept, ""} {
			rec := serveListing(h, "GET", target, accept)
			if rec.Code < 400 {
				t.Errorf("GET %s: %d", target, rec.Code)
			}
			for _, leak := range []string{root, "/tmp", "open ", "open:", "no such file or directory", "lstat", "stat ", "localfs", "dav:", "errno"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("GET %s (Accept %q): %d body %q holds %q", target, accept, rec.Code, rec.Body, leak)
				}
			}
		}
	}
}

// TestPageWriteControls: the page holds the write controls (for its
// script) only where the view (and its per-path rules) may write, and the chunked-upload URLs only
// when the server gave them.
func TestPageWriteControls(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "sub"), 0o755)
	ups, err := uploads.Open(filepath.Join(t.TempDir(), "uploads"), uploads.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHandlerAt(t, root, bolt.Options{}, Config{Prefix: "/p", Uploads: ups})
	page := func(h *Handler) string {
		rec := serveListing(h, "GET", "/p/sub/", browserAccept)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /p/sub/: %d", rec.Code)
		}
		return rec.Body.String()
	}
	os.WriteFile(filepath.Join(root, "sub", "f.txt"), []byte("f"), 0o644)
	if body := page(h.Scoped("ro", "/", true)); strings.Contains(body, `id="write"`) || strings.Contains(body, "<dialog") || strings.Contains(body, "data-write") {
		t.Errorf("a read-only view's page holds write controls")
	}
	readRule := h.Restricted(access.Compile(nil, "/", []access.Rule{{Path: "/sub", Level: access.Read}}))
	if body := page(readRule); strings.Contains(body, `id="write"`) || strings.Contains(body, "data-write") {
		t.Errorf("the page of a folder a rule makes read-only holds write controls")
	}
	body := page(h)
	if !strings.Contains(body, `id="write"`) || !strings.Contains(body, `data-chunk-uploads=""`) || !strings.Contains(body, `data-write="1"`) {
		t.Errorf("a writable view's page lacks write controls, or has chunk URLs it was not given")
	}
	body = page(h.WithPageChunks("/p/remote.php/dav/uploads/al ice", "/p/remote.php/dav/files/al ice"))
	for _, want := range []string{`data-chunk-uploads="/p/remote.php/dav/uploads/al%20ice/"`, `data-chunk-dest="/p/remote.php/dav/files/al%20ice/sub/"`, `data-self="/p/sub/"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

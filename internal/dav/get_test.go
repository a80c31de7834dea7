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

// TestFileSandbox: every answer about a user's file carries the sandbox
// CSP and nosniff, so an uploaded .html or .svg never runs script in the
// share's origin: GET, HEAD, GET with a query, a range (206), a
// conditional GET (304), an unsatisfiable range (416). Errors and the
// listing carry nosniff; the listing keeps its own CSP.
func TestFileSandbox(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for name, content := range map[string]string{
		"x.html":  "<script>alert(document.cookie)</script>",
		"x.svg":   `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		"x.xhtml": `<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>`,
		"noext":   "<html><script>alert(1)</script></html>",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newHandlerAt(t, root, bolt.Options{}, Config{})
	etag := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("HEAD", "/x.html", nil))
		return rec.Header().Get("ETag")
	}()
	tests := []struct {
		name, method, target string
		hdr                  []string
		status               int
	}{
		{"GET-html", "GET", "/x.html", nil, http.StatusOK},
		{"GET-svg", "GET", "/x.svg", nil, http.StatusOK},
		{"GET-xhtml", "GET", "/x.xhtml", nil, http.StatusOK},
		{"GET-no-extension", "GET", "/noext", nil, http.StatusOK},
		{"GET-with-query", "GET", "/x.html?download=0&a=%3Cb%3E", nil, http.StatusOK},
		{"HEAD", "HEAD", "/x.html", nil, http.StatusOK},
		{"RFC9110_14.2/range-206", "GET", "/x.html", []string{"Range", "bytes=0-7"}, http.StatusPartialContent},
		{"RFC9110_15.5.17/range-416", "GET", "/x.html", []string{"Range", "bytes=9999-"}, http.StatusRequestedRangeNotSatisfiable},
		{"RFC9110_13.1.2/conditional-304", "GET", "/x.html", []string{"If-None-Match", etag}, http.StatusNotModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tt.method, tt.target, nil)
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				req.Header.Set(tt.hdr[i], tt.hdr[i+1])
			}
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != "sandbox" {
				t.Errorf("Content-Security-Policy %q, want sandbox", got)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
	if ct := serveListing(h, "GET", "/noext", "").Header().Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("a file without extension is served as %q, want application/octet-stream (never sniffed)", ct)
	}
	for _, target := range []string{"/missing.html", "/x.html/under-a-file"} {
		if rec := serveListing(h, "GET", target, ""); rec.Code < 400 || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d, X-Content-Type-Options %q; want an error with nosniff", target, rec.Code, rec.Header().Get("X-Content-Type-Options"))
		}
	}
	list := serveListing(h, "GET", "/", browserAccept)
	if csp := list.Header().Get("Content-Security-Policy"); csp != listingCSP || list.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the listing: CSP %q, nosniff %q; want its own CSP and nosniff", csp, list.Header().Get("X-Content-Type-Options"))
	}
}

// TestListingEscapesNames: a file named like markup shows as text in the
// listing, in the row, its link and its data attribute; it is never a tag.
func TestListingEscapesNames(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	const name = `<img src=x onerror=alert(1)>"'.txt`
	if err := os.WriteFile(filepath.Join(root, name), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHandlerAt(t, root, bolt.Options{}, Config{})
	body := serveListing(h, "GET", "/", browserAccept).Body.String()
	if strings.Contains(body, "<img") || strings.Contains(body, `onerror=alert(1)>`) {
		t.Fatalf("the listing carries the name as markup:\n%s", body)
	}
	for _, s := range []string{`&lt;img src=x onerror=alert(1)&gt;&#34;&#39;.txt`, `href="/%3Cimg%20src=x%20onerror=alert%281%29%3E%22%27.txt"`} {
		if !strings.Contains(body, s) {
			t.Errorf("the listing lacks the escaped %s:\n%s", s, body)
		}
	}
}

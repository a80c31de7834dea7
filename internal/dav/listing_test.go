package dav

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage/bolt"
)

// newListingHandler serves a fresh folder under prefix holding a
// subfolder, files with names that need escaping and a temp file.
func newListingHandler(t *testing.T, prefix string) *Handler {
	t.Helper()
	root := t.TempDir()
	old := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	files := map[string]int{"b #?%.txt": 2048, "été.txt": 10, "A.bin": 1, "sub dir/x": 1}
	for name, size := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chtimes(filepath.Join(root, "été.txt"), old, old)
	return newHandlerAt(t, root, bolt.Options{}, Config{Prefix: prefix})
}

func serveListing(h *Handler, method, target, accept string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	h.ServeHTTP(rec, req)
	return rec
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// TestListingText: clients that do not ask for HTML get 200 and one name a
// line, folders first, state folder hidden (RFC 4918 §9.4 leaves GET on a
// collection to the server).
func TestListingText(t *testing.T) {
	t.Parallel()
	h := newListingHandler(t, "")
	for _, accept := range []string{"", "*/*", "text/html;q=0", "application/xml"} {
		rec := serveListing(h, "GET", "/", accept)
		want := "sub dir/\nA.bin\nb #?%.txt\nété.txt\n"
		if rec.Code != http.StatusOK || rec.Body.String() != want || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("Accept %q: %d %s %q, want 200 text/plain %q", accept, rec.Code, rec.Header().Get("Content-Type"), rec.Body, want)
		}
	}
	rec := serveListing(h, "GET", "/?sort=size&order=desc", "")
	if want := "sub dir/\nb #?%.txt\nété.txt\nA.bin\n"; rec.Body.String() != want {
		t.Errorf("?sort=size&order=desc: %q, want %q", rec.Body, want)
	}
}

// TestListingHEAD: HEAD sends GET's headers, Content-Length included, and
// no body (RFC 9110 §9.3.2).
func TestListingHEAD(t *testing.T) {
	t.Parallel()
	h := newListingHandler(t, "")
	for _, accept := range []string{"", browserAccept} {
		get := serveListing(h, "GET", "/", accept)
		head := serveListing(h, "HEAD", "/", accept)
		if head.Code != http.StatusOK || head.Body.Len() != 0 {
			t.Errorf("Accept %q: HEAD %d with %d body bytes, want 200 and none", accept, head.Code, head.Body.Len())
		}
		for _, k := range []string{"Content-Type", "Content-Length", "Vary", "Content-Security-Policy"} {
			if g, hd := get.Header().Get(k), head.Header().Get(k); g != hd {
				t.Errorf("Accept %q: %s GET %q, HEAD %q", accept, k, g, hd)
			}
		}
		if cl := get.Header().Get("Content-Length"); cl != strconv.Itoa(get.Body.Len()) {
			t.Errorf("Accept %q: GET Content-Length %q for %d bytes", accept, cl, get.Body.Len())
		}
	}
}

var hrefAttr = regexp.MustCompile(`<td class="name"><a href="([^"]+)"`)

// TestListingHTML: a browser gets a page whose links carry the prefix and
// escape every name, with breadcrumbs, exact sizes and UTC times.
func TestListingHTML(t *testing.T) {
	t.Parallel()
	h := newListingHandler(t, "/dav")
	rec := serveListing(h, "GET", "/dav/", browserAccept)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /dav/ as a browser: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var hrefs []string
	for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
		hrefs = append(hrefs, m[1])
	}
	want := []string{"/dav/sub%20dir/", "/dav/A.bin", "/dav/b%20%23%3F%25.txt", "/dav/%C3%A9t%C3%A9.txt"}
	if !slices.Equal(hrefs, want) {
		t.Errorf("hrefs %q, want %q", hrefs, want)
	}
	for _, s := range []string{
		`<html lang="en">`,
		`<title>Index of /dav/</title>`,
		`<th scope="col" data-key="name" aria-sort="ascending">`,
		`<span title="2,048 bytes">2.0 KiB</span>`,
		`<time datetime="2024-05-01T12:34:56Z">2024-05-01<span class="clock"> 12:34</span></time>`,
		`<a href="/dav/" aria-current="page">Home</a>`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the page lacks %s", s)
		}
	}
	if strings.Contains(body, ".atomdav") {
		t.Error("the page lists the state folder")
	}

	sub := serveListing(h, "GET", "/dav/sub%20dir/", browserAccept).Body.String()
	if !strings.Contains(sub, `<li><a href="/dav/">Home</a></li>`) || !strings.Contains(sub, `<a href="/dav/sub%20dir/" aria-current="page">sub dir</a>`) {
		t.Errorf("breadcrumbs of /dav/sub dir/ are wrong:\n%s", sub)
	}
	view := serveListing(h.Scoped("", "/sub dir", true), "GET", "/dav/", browserAccept).Body.String()
	if !strings.Contains(view, `<a href="/dav/" aria-current="page">Home</a>`) || !strings.Contains(view, `<a href="/dav/x">`) {
		t.Errorf("a view rooted at /sub dir lists the wrong paths:\n%s", view)
	}
}

// TestListingCSP: the hashes in the Content-Security-Policy match the
// inline style and script the page carries, or the browser would drop them.
func TestListingCSP(t *testing.T) {
	t.Parallel()
	h := newListingHandler(t, "")
	rec := serveListing(h, "GET", "/", browserAccept)
	body, csp := rec.Body.String(), rec.Header().Get("Content-Security-Policy")
	for _, tag := range []string{"style", "script"} {
		_, rest, _ := strings.Cut(body, "<"+tag+">")
		inline, _, ok := strings.Cut(rest, "</"+tag+">")
		if !ok || !strings.Contains(csp, tag+"-src "+cspHash(inline)) {
			t.Errorf("%s-src in %q does not allow the page's inline %s", tag, csp, tag)
		}
	}
}

func TestHumanSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 10 << 20: "10 MiB", 5 << 40: "5.0 TiB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{1: "1 byte", 999: "999 bytes", 1000: "1,000 bytes", 1234567: "1,234,567 bytes"} {
		if got := exactSize(n); got != want {
			t.Errorf("exactSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWantsHTML(t *testing.T) {
	t.Parallel()
	for accept, want := range map[string]bool{
		"":                      false,
		"*/*":                   false,
		browserAccept:           true,
		"TEXT/HTML":             true,
		"text/html;q=0":         false,
		"text/html; q=0.0":      false,
		"text/html;level=1;q=1": true,
		"application/xhtml+xml": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		if got := wantsHTML(r); got != want {
			t.Errorf("wantsHTML(Accept: %q) = %v, want %v", accept, got, want)
		}
	}
}

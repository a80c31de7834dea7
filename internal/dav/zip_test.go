package dav

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

// zipTree makes a share with files, a subfolder, OS junk, and symlinks:
// to a file inside (zipped as a file), to a folder inside (left out), and
// out of the share (left out).
func zipTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	outside := t.TempDir()
	files := map[string]string{"a.txt": "alpha", "sub/b.txt": "beta", "sub/deep/c.txt": "gamma", ".DS_Store": "junk", "été #1.txt": "ete"}
	for name, content := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	for link, target := range map[string]string{"link.txt": "a.txt", "subalias": "sub", "out": outside, "out.txt": filepath.Join(outside, "secret")} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// readZip returns a zip's members and their contents.
func readZip(t *testing.T, body []byte) (names []string, content map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	content = map[string]string{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		content[f.Name] = string(b)
	}
	return names, content
}

// TestZipFolder: GET folder/?zip streams the folder's listed members (no
// state folder, no OS junk, no symlink out of the share, no symlinked
// folder), with a Content-Disposition naming the folder (RFC 6266).
func TestZipFolder(t *testing.T) {
	t.Parallel()
	h := newHandlerAt(t, zipTree(t), bolt.Options{}, Config{HideOSJunk: true, Prefix: "/dav"})
	rec := serveListing(h, "GET", "/dav/?zip", browserAccept)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("GET /dav/?zip: %d %s %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="files.zip"; filename*=UTF-8''files.zip` {
		t.Errorf("Content-Disposition %q", cd)
	}
	names, content := readZip(t, rec.Body.Bytes())
	slices.Sort(names)
	want := []string{"a.txt", "link.txt", "sub/", "sub/b.txt", "sub/deep/", "sub/deep/c.txt", "été #1.txt"}
	if !slices.Equal(names, want) {
		t.Errorf("members %q, want %q", names, want)
	}
	if content["sub/deep/c.txt"] != "gamma" || content["link.txt"] != "alpha" {
		t.Errorf("contents %q", content)
	}

	rec = serveListing(h, "GET", "/dav/sub/?download=zip", "")
	names, _ = readZip(t, rec.Body.Bytes())
	if !slices.Equal(names, []string{"b.txt", "deep/", "deep/c.txt"}) {
		t.Errorf("members of sub's zip %q", names)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, `filename="sub.zip"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if rec := serveListing(h, "HEAD", "/dav/sub/?zip", ""); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD ?zip: %d with %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serveListing(h, "GET", "/dav/sub/?zipper", ""); rec.Header().Get("Content-Type") == "application/zip" {
		t.Errorf("?zipper answered with a zip")
	}
}

// TestZipBounds: a folder over max-zip-bytes is 413 before anything is
// sent; over max-zips at once, 503 with Retry-After.
func TestZipBounds(t *testing.T) {
	t.Parallel()
	h := newHandlerAt(t, zipTree(t), bolt.Options{}, Config{MaxZipBytes: 12, MaxZips: 1})
	rec := serveListing(h, "GET", "/?zip", "")
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "more than the 12 B one zip may hold") {
		t.Errorf("zip of 18 bytes over a 12-byte bound: %d %q", rec.Code, rec.Body)
	}
	if rec := serveListing(h, "GET", "/sub/deep/?zip", ""); rec.Code != http.StatusOK {
		t.Errorf("zip of 5 bytes: %d", rec.Code)
	}
	release, err := h.zips.take()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	rec = serveListing(h, "GET", "/sub/deep/?zip", "")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("a second zip at once with max-zips 1: %d %q", rec.Code, rec.Body)
	}
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"files.zip":      `attachment; filename="files.zip"; filename*=UTF-8''files.zip`,
		`a "b"\c%.zip`:   `attachment; filename="a _b__c_.zip"; filename*=UTF-8''a%20%22b%22%5Cc%25.zip`,
		"été.zip":        `attachment; filename="_t_.zip"; filename*=UTF-8''%C3%A9t%C3%A9.zip`,
		"x\r\ny: z.zip":  `attachment; filename="x__y: z.zip"; filename*=UTF-8''x%0D%0Ay%3A%20z.zip`,
		"semi;colon.zip": `attachment; filename="semi;colon.zip"; filename*=UTF-8''semi%3Bcolon.zip`,
	} {
		if got := contentDisposition(name); got != want {
			t.Errorf("contentDisposition(%q) = %q, want %q", name, got, want)
		}
	}
}

// FuzzWantsZip: any query is read without panicking, and asks for a zip
// only when it holds a zip key or download=zip.
func FuzzWantsZip(f *testing.F) {
	for _, s := range []string{"zip", "download=zip", "sort=name&zip=1", "zip%", "%zz&zip", ";zip", "download=zap", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := wantsZip(q)
		v, _ := url.ParseQuery(q)
		_, has := v["zip"]
		if got != (has || v.Get("download") == "zip") {
			t.Errorf("wantsZip(%q) = %v for %v", q, got, v)
		}
	})
}

// TestZipGrewPastBound: a folder that grows past max-zip-bytes after the
// 200 was sent ends with a member that says the zip is incomplete.
func TestZipGrewPastBound(t *testing.T) {
	t.Parallel()
	h := newHandlerAt(t, zipTree(t), bolt.Options{}, Config{MaxZipBytes: 8})
	var buf bytes.Buffer
	if err := h.writeZip(t.Context(), &buf, "/sub"); err != nil { // b.txt (4) fits, deep/c.txt (5) does not
		t.Fatal(err)
	}
	names, content := readZip(t, buf.Bytes())
	if !slices.Equal(names, []string{"b.txt", "deep/", zipErrorName}) || !strings.Contains(content[zipErrorName], "incomplete") {
		t.Errorf("members %q, error member %q", names, content[zipErrorName])
	}
}

// TestZipViewJail: in a user's view, a symlink that leads out of the
// user's folder (though inside the share) is left out of the zip.
func TestZipViewJail(t *testing.T) {
	t.Parallel()
	root := zipTree(t)
	if err := os.Symlink("../a.txt", filepath.Join(root, "sub", "up.txt")); err != nil {
		t.Fatal(err)
	}
	h := newHandlerAt(t, root, bolt.Options{}, Config{}).Scoped("bob", "/sub", false)
	rec := serveListing(h, "GET", "/?zip", "")
	names, _ := readZip(t, rec.Body.Bytes())
	if !slices.Equal(names, []string{"b.txt", "deep/", "deep/c.txt"}) {
		t.Errorf("bob's zip of his folder /sub: %q, want no up.txt (a link out of his folder)", names)
	}
	if rec := serveListing(h.Scoped("bob", "/sub", false), "GET", "/", ""); strings.Contains(rec.Body.String(), "up.txt") {
		t.Errorf("the listing shows up.txt: %q", rec.Body)
	}
}

func TestZipMethod(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]uint16{"a.txt": zip.Deflate, "b.JPG": zip.Store, "c.tar.gz": zip.Store, "noext": zip.Deflate, "d.mp4": zip.Store} {
		if got := zipMethod(name); got != want {
			t.Errorf("zipMethod(%q) = %d, want %d", name, got, want)
		}
	}
}

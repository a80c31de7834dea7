package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// mountSmallFS mounts a 4 MiB tmpfs for a disk-full test; it needs root
// (CI runs as root). Without root the test skips, except with CI=true.
func mountSmallFS(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the disk-full test needs root to mount a tmpfs, and CI=true")
		}
		t.Skip("the disk-full test needs root to mount a tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file until the file system is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling: %v", err)
			}
			return p
		}
	}
}

// TestDiskFull: with the disk full, PUT and PROPPATCH answer 507
// Insufficient Storage (RFC 4918 §11.5), the old content and properties
// stay as they were, no temp file is left, and once space is freed the
// server serves writes again without a restart.
func TestDiskFull(t *testing.T) {
	dir := mountSmallFS(t)
	s := startServer(t, dir)
	s.put(t, "/a.txt", "original")
	want(t, s.do(t, "PROPPATCH", "/a.txt", setBody(`<Z:keep xmlns:Z="urn:z">kept</Z:keep>`)), 207, "PROPPATCH before the disk fills")

	filler := fill(t, dir)

	r := s.do(t, "PUT", "/a.txt", strings.Repeat("n", 1<<20))
	want(t, r, 507, "PUT on a full disk")
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "original" {
		t.Fatalf("a.txt is %d bytes after the failed PUT, want the original content", len(b))
	}
	want(t, s.do(t, "PUT", "/new.txt", strings.Repeat("n", 1<<20)), 507, "PUT of a new file on a full disk")
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Fatal("new.txt exists after its PUT failed")
	}

	var props strings.Builder
	for i := range 12 {
		fmt.Fprintf(&props, `<Z:big%d xmlns:Z="urn:z">%s</Z:big%d>`, i, strings.Repeat("v", 60<<10), i)
	}
	want(t, s.do(t, "PROPPATCH", "/a.txt", setBody(props.String())), 507, "PROPPATCH on a full disk")

	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".atomdav-tmp-") {
			t.Fatalf("temp file %s left behind", e.Name())
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s.put(t, "/a.txt", "replaced")
	want(t, s.do(t, "PROPPATCH", "/a.txt", setBody(props.String())), 207, "PROPPATCH after space was freed")
	pf := s.do(t, "PROPFIND", "/a.txt", "", "Depth", "0")
	if !strings.Contains(string(pf.Body), ">kept<") || !strings.Contains(string(pf.Body), "big11") {
		t.Fatalf("properties after the disk-full episode:\n%s", pf.Body)
	}
}

func setBody(props string) string {
	return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` + props + `</D:prop></D:set></D:propertyupdate>`
}

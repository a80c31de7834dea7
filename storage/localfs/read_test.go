package localfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDoorKeepsTheJail: the operations internal/dav reaches the disk by
// (ReadDir, Chtimes) refuse what the jail refuses, and do their job
// inside it.
func TestDoorKeepsTheJail(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(f.Root(), "out"))
	os.Mkdir(filepath.Join(f.Root(), "d"), 0o755)
	os.WriteFile(filepath.Join(f.Root(), "d", "x"), nil, 0o644)
	when := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

	for _, name := range []string{"/out", "/out/", "/.atomdav"} {
		if _, err := f.ReadDir(name); !errors.Is(err, ErrOutsideRoot) && !errors.Is(err, ErrHidden) {
			t.Errorf("ReadDir(%q) = %v; want the jail's refusal", name, err)
		}
		if err := f.Chtimes(name, when); !errors.Is(err, ErrOutsideRoot) && !errors.Is(err, ErrHidden) {
			t.Errorf("Chtimes(%q) = %v; want the jail's refusal", name, err)
		}
	}
	if fi, err := os.Stat(outside); err != nil || fi.ModTime().Equal(when) {
		t.Fatalf("the folder outside was touched: %v", err)
	}

	entries, err := f.ReadDir("/d")
	if err != nil || len(entries) != 1 || entries[0].Name() != "x" {
		t.Fatalf("ReadDir(/d) = %v, %v", entries, err)
	}
	if err := f.Chtimes("/d/x", when); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(f.Root(), "d", "x")); !fi.ModTime().Equal(when) {
		t.Fatalf("mtime %v, want %v", fi.ModTime(), when)
	}
	if avail, used, err := f.Usage(); err != nil || used == 0 {
		t.Fatalf("Usage = %d, %d, %v", avail, used, err)
	}
}

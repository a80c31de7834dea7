package localfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

func newTestFS(t *testing.T) *FS {
	t.Helper()
	root := t.TempDir()
	store, err := bolt.Open(filepath.Join(root, ".atomdav", "state.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f, err := New(root, store, Options{Hidden: ".atomdav"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRootListingHidesState(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	os.WriteFile(filepath.Join(f.Root(), "a"), nil, 0o644)
	d, err := f.OpenFile(context.Background(), "/", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fis, err := d.Readdir(-1)
	if err != nil {
		t.Fatal(err)
	}
	if len(fis) != 1 || fis[0].Name() != "a" {
		t.Fatalf("root lists %v, want only a", fis)
	}
}

func TestUploadAbortKeepsOldContent(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	target := filepath.Join(f.Root(), "f")
	os.WriteFile(target, []byte("old"), 0o640)
	up, err := f.NewUpload("/f")
	if err != nil {
		t.Fatal(err)
	}
	up.Write([]byte("new but interrupted"))
	up.Abort()
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Fatalf("content %q after abort, want old", b)
	}
	assertNoTemp(t, f.Root())

	up, _ = f.NewUpload("/f")
	up.Write([]byte("new"))
	created, err := up.Commit()
	if err != nil || created {
		t.Fatalf("Commit = %v, %v; want replace", created, err)
	}
	fi, _ := os.Stat(target)
	if b, _ := os.ReadFile(target); string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("after commit: %q %v, want new 0640", b, fi.Mode().Perm())
	}
	assertNoTemp(t, f.Root())
}

func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	os.Mkdir(filepath.Join(f.Root(), "dir"), 0o755)
	if _, err := f.NewUpload("/missing/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("upload under a missing parent: %v, want ErrNotExist", err)
	}
	if _, err := f.NewUpload("/dir"); !errors.Is(err, ErrIsDir) {
		t.Fatalf("upload onto a collection: %v, want ErrIsDir", err)
	}
}

func assertNoTemp(t *testing.T, root string) {
	t.Helper()
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			t.Fatalf("temp file left: %s", e.Name())
		}
	}
}

// TestCanonicalNormalisation: a name created in NFD is reachable in NFC
// and the other way round.
func TestCanonicalNormalisation(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	nfd, nfc := "/Cafe\u0301.txt", "/Caf\u00e9.txt"
	os.WriteFile(filepath.Join(f.Root(), nfd[1:]), nil, 0o644)
	os.WriteFile(filepath.Join(f.Root(), "n\u00e9e"), nil, 0o644)
	os.Mkdir(filepath.Join(f.Root(), "Caf\u00e9"), 0o755) // made by Windows (NFC)
	os.WriteFile(filepath.Join(f.Root(), "Caf\u00e9", "r\u00e9sum\u00e9"), nil, 0o644)
	for _, tt := range []struct{ in, want string }{
		{nfc, nfd}, {nfd, nfd}, {"/ne\u0301e", "/n\u00e9e"}, {"/plain", "/plain"}, {"/missing\u00e9", "/missing\u00e9"},
		{"/Cafe\u0301/notes", "/Caf\u00e9/notes"},                         // a new file from Finder in Windows' folder
		{"/Cafe\u0301/re\u0301sume\u0301", "/Caf\u00e9/r\u00e9sum\u00e9"}, // mixed forms, existing file
	} {
		if got := f.Canonical(tt.in); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

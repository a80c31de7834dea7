package localfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestUploadParentChanged: the folder of an upload under way is moved,
// removed, or replaced by a file (by a request that did not wait for the
// upload, or by another instance sharing the folder). Commit refuses with
// ErrParentChanged (409) rather than an error of the rename (500), puts
// nothing anywhere, and leaves no temp file where the folder went.
func TestUploadParentChanged(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		change func(root string) error
	}{
		{"moved", func(root string) error {
			return os.Rename(filepath.Join(root, "d"), filepath.Join(root, "e"))
		}},
		{"removed", func(root string) error { return os.RemoveAll(filepath.Join(root, "d")) }},
		{"replaced by a file", func(root string) error {
			if err := os.RemoveAll(filepath.Join(root, "d")); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(root, "d"), []byte("file"), 0o644)
		}},
		{"replaced by a folder", func(root string) error {
			if err := os.Rename(filepath.Join(root, "d"), filepath.Join(root, "e")); err != nil {
				return err
			}
			return os.Mkdir(filepath.Join(root, "d"), 0o755)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFS(t)
			if err := os.Mkdir(filepath.Join(f.Root(), "d"), 0o755); err != nil {
				t.Fatal(err)
			}
			up, err := f.NewUpload("/d/f")
			if err != nil {
				t.Fatal(err)
			}
			up.Write([]byte("half"))
			if err := tt.change(f.Root()); err != nil {
				t.Fatal(err)
			}
			up.Write([]byte(" and the rest"))
			if _, err := up.Commit(); !errors.Is(err, ErrParentChanged) {
				t.Fatalf("Commit: %v, want ErrParentChanged", err)
			}
			for _, p := range []string{"d/f", "e/f"} {
				if _, err := os.Lstat(filepath.Join(f.Root(), p)); err == nil {
					t.Errorf("%s exists after a refused commit", p)
				}
			}
			filepath.WalkDir(f.Root(), func(p string, d fs.DirEntry, err error) error {
				if err == nil && isTemp(d.Name()) {
					t.Errorf("temp file left: %s", p)
				}
				return nil
			})
		})
	}
}

// TestCommitWith checks the order CommitWith promises: before runs while
// the old content is still in place and its failure replaces nothing;
// after runs once the new content is in place; Stamp is the stamp the
// file has once committed.
func TestCommitWith(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	target := filepath.Join(f.Root(), "f")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func() string { b, _ := os.ReadFile(target); return string(b) }

	up, err := f.NewUpload("/f")
	if err != nil {
		t.Fatal(err)
	}
	up.Write([]byte("new"))
	refused := errors.New("store down")
	if _, err := up.CommitWith(func() error { return refused }, nil); !errors.Is(err, refused) || up.Placed() {
		t.Fatalf("CommitWith with a failing before: %v, placed %v", err, up.Placed())
	}
	if got := read(); got != "old" {
		t.Fatalf("a failed before replaced the content: %q", got)
	}

	up, err = f.NewUpload("/f")
	if err != nil {
		t.Fatal(err)
	}
	up.Write([]byte("new"))
	st, err := up.Stamp()
	if err != nil {
		t.Fatal(err)
	}
	var sawBefore, sawAfter string
	_, err = up.CommitWith(func() error { sawBefore = read(); return nil }, func() error { sawAfter = read(); return nil })
	if err != nil || sawBefore != "old" || sawAfter != "new" || !up.Placed() {
		t.Fatalf("CommitWith: %v; before saw %q, after saw %q", err, sawBefore, sawAfter)
	}
	fi, _ := os.Stat(target)
	if now, ok := StampOf(fi); !ok || now != st {
		t.Errorf("stamp after the commit %+v, Upload.Stamp said %+v", now, st)
	}
}

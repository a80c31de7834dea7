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

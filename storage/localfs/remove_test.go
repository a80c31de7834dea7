package localfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRemoveAllRacesAnUpload: another instance sharing the folder (its
// path locks are its own) starts an upload in a folder a DELETE is
// emptying, after the members are gone and before the folder's rmdir,
// which fails with ENOTEMPTY. The removal is tried again and succeeds
// rather than failing the DELETE (500), and the other upload's Commit
// finds its folder gone (409).
func TestRemoveAllRacesAnUpload(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	ctx := context.Background()
	if err := f.Mkdir(ctx, "/d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.Root(), "d", "a"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	var up *Upload
	f.removeAll = func(local string) error {
		if up != nil {
			return os.RemoveAll(local)
		}
		// os.RemoveAll's steps, with the other instance's upload between.
		entries, err := os.ReadDir(local)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(local, e.Name())); err != nil {
				return err
			}
		}
		if up, err = f.NewUpload("/d/new"); err != nil {
			return err
		}
		return os.Remove(local)
	}
	if err := f.RemoveAll(ctx, "/d"); err != nil {
		t.Fatalf("RemoveAll while an upload began in the folder: %v", err)
	}
	if up == nil {
		t.Fatal("the upload did not begin")
	}
	if _, err := os.Lstat(filepath.Join(f.Root(), "d")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("/d after RemoveAll: %v", err)
	}
	if _, err := up.Commit(); !errors.Is(err, ErrParentChanged) {
		t.Fatalf("Commit of the upload whose folder was removed: %v, want ErrParentChanged", err)
	}
	assertNoTemp(t, f.Root())
}

// TestRemoveAllGivesUp: a folder that is never emptied (something keeps
// filling it) fails the removal after removeTries attempts, with the
// ENOTEMPTY of the last.
func TestRemoveAllGivesUp(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	ctx := context.Background()
	if err := f.Mkdir(ctx, "/d", 0o755); err != nil {
		t.Fatal(err)
	}
	tries := 0
	f.removeAll = func(local string) error {
		tries++
		return &fs.PathError{Op: "unlinkat", Path: local, Err: syscall.ENOTEMPTY}
	}
	if err := f.RemoveAll(ctx, "/d"); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Fatalf("RemoveAll of a folder never emptied: %v, want ENOTEMPTY", err)
	}
	if tries != removeTries {
		t.Fatalf("%d attempts, want %d", tries, removeTries)
	}
}

package localfs

import (
	"context"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestNestedThroughSymlinks: with alink -> a, "/alink/x" lies inside "/a"
// (RFC 4918 §9.8.5: a collection cannot be copied into itself), while a
// MOVE of the link itself, or a destination link that is replaced, is not
// nested.
func TestNestedThroughSymlinks(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	os.MkdirAll(filepath.Join(f.Root(), "a", "b"), 0o755)
	os.Mkdir(filepath.Join(f.Root(), "c"), 0o755)
	os.Symlink("a", filepath.Join(f.Root(), "alink"))
	os.Symlink("a/b", filepath.Join(f.Root(), "blink"))
	for _, tt := range []struct {
		src, dst string
		move     bool
		want     bool
	}{
		{"/a", "/alink/x", false, true},
		{"/a", "/alink/x", true, true},
		{"/a", "/alink/b/x", false, true},
		{"/alink", "/a/x", false, true}, // a COPY follows the link
		{"/alink", "/a/x", true, false}, // a MOVE renames the link itself
		{"/a/b", "/alink", false, false},
		{"/alink", "/a", false, true},
		{"/a/b/c", "/blink/c/d", false, false},
		{"/a", "/blink/x", false, true},
		{"/blink", "/a", true, false},
		{"/a/b", "/alink/b", false, true},
		{"/c", "/a/x", false, false},
		{"/c", "/missing/x", false, false},
	} {
		got, err := f.Nested(tt.src, tt.dst, tt.move)
		if err != nil || got != tt.want {
			t.Errorf("Nested(%s, %s, move %v) = %v, %v; want %v", tt.src, tt.dst, tt.move, got, err, tt.want)
		}
	}
}

// TestCopyStopsAtSymlinkLoops: a member that is, through a symlink, a
// folder the copy is inside fails with ErrLoop rather than being copied
// into itself level after level.
func TestCopyStopsAtSymlinkLoops(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	os.MkdirAll(filepath.Join(f.Root(), "a", "sub"), 0o755)
	os.WriteFile(filepath.Join(f.Root(), "a", "sub", "f"), []byte("x"), 0o644)
	os.Symlink("..", filepath.Join(f.Root(), "a", "sub", "up"))
	os.Symlink("../b", filepath.Join(f.Root(), "a", "tob")) // into the destination
	failed, err := f.Copy(context.Background(), "/a", "/b", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"/a/sub/up", "/a/tob"} {
		if !errors.Is(failed[m], ErrLoop) {
			t.Errorf("failed[%s] = %v, want ErrLoop (all: %v)", m, failed[m], failed)
		}
	}
	if b, err := os.ReadFile(filepath.Join(f.Root(), "b", "sub", "f")); err != nil || string(b) != "x" {
		t.Errorf("b/sub/f = %q, %v", b, err)
	}
	for _, p := range []string{"b/sub/up", "b/tob"} {
		if _, err := os.Lstat(filepath.Join(f.Root(), p)); err == nil {
			t.Errorf("%s was copied", p)
		}
	}
}

// TestCheckOrphanBelowFile: properties of /f/x, where /f is now a file,
// are an orphan to report, not an error that stops the check.
func TestCheckOrphanBelowFile(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	os.WriteFile(filepath.Join(f.Root(), "f"), nil, 0o644)
	ctx := context.Background()
	if err := f.store.PatchProps(ctx, "/f/x", map[xml.Name][]byte{{Space: "urn:z", Local: "p"}: []byte(`<p xmlns="urn:z">v</p>`)}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := f.Check(ctx, nil)
	if err != nil || len(r.Orphans) != 1 || r.Orphans[0] != "/f/x" {
		t.Fatalf("Check = %+v, %v; want the orphan /f/x", r, err)
	}
}

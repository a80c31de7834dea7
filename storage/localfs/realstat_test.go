package localfs

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRealStat: RealStat gives Real(name, true) for every name Real
// resolves or refuses, and a FileInfo only when it is the Stat of that
// Real name (same file, same mode and size); a FIFO is stat'ed without
// blocking.
func TestRealStat(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	if err := syscall.Mkfifo(filepath.Join(f.Root(), "in", "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	names := []string{"/", "/in", "/in/file", "in/./file", "/in/fifo", "/missing/new", "/f/x", "/inlink/file",
		"/rel", "/filelink", "/dangling", "/statelink/x", "/out", "/out/secret", "/outfile", "/up/secret", "/danglout"}
	for _, name := range names {
		wantReal, wantErr := f.Real(name, true)
		real, fi, err := f.RealStat(name)
		if real != wantReal || !errors.Is(err, wantErr) && (err == nil || wantErr == nil || err.Error() != wantErr.Error()) {
			t.Errorf("RealStat(%q) = %q, %v; Real gives %q, %v", name, real, err, wantReal, wantErr)
			continue
		}
		if fi == nil {
			continue
		}
		want, err := f.Stat(context.Background(), real)
		if err != nil {
			t.Errorf("RealStat(%q) gave a FileInfo, Stat(%q) fails: %v", name, real, err)
			continue
		}
		st1, ok1 := StampOf(fi)
		st2, ok2 := StampOf(want)
		if fi.Name() != want.Name() || fi.Mode() != want.Mode() || st1 != st2 || !ok1 || !ok2 {
			t.Errorf("RealStat(%q): %s %v %+v, Stat: %s %v %+v", name, fi.Name(), fi.Mode(), st1, want.Name(), want.Mode(), st2)
		}
	}
	// The fast path answers for plain names (where openat2 exists).
	if _, fi, _ := f.RealStat("/in/file"); fi == nil && !noOpenat2.Load() {
		t.Error("RealStat(/in/file) gave no FileInfo")
	}
	for _, name := range []string{"/inlink/file", "/filelink", "/missing/new"} {
		if _, fi, _ := f.RealStat(name); fi != nil {
			t.Errorf("RealStat(%q) gave a FileInfo through a symlink or for a missing name", name)
		}
	}
}

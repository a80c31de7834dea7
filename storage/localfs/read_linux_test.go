package localfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadDirStatMatchesLstat: the entries readDir makes with fstatat
// describe each member as os.ReadDir and os.Lstat do (name, type, mode,
// size, time, and the Stat_t fields StampOf and stateOf read), in name
// order, for a file, a folder, a symlink, a FIFO and a setuid file.
func TestReadDirStatMatchesLstat(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "b.txt"), []byte("hello"), 0o640))
	must(os.Mkdir(filepath.Join(dir, "a"), 0o750))
	must(os.Symlink("b.txt", filepath.Join(dir, "c-link")))
	must(syscall.Mkfifo(filepath.Join(dir, "d-fifo"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "e-suid"), nil, 0o755))
	must(os.Chmod(filepath.Join(dir, "e-suid"), 0o755|os.ModeSetuid))
	must(os.Chtimes(filepath.Join(dir, "b.txt"), time.Time{}, time.Unix(1234567890, 123456789)))

	got, err := readDir(dir)
	must(err)
	want, err := os.ReadDir(dir)
	must(err)
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name() != w.Name() || g.Type() != w.Type() || g.IsDir() != w.IsDir() {
			t.Errorf("entry %d: %v, want %v", i, g, w)
		}
		gi, err := g.Info()
		must(err)
		wi, err := os.Lstat(filepath.Join(dir, w.Name()))
		must(err)
		if gi.Name() != wi.Name() || gi.Mode() != wi.Mode() || gi.Size() != wi.Size() || !gi.ModTime().Equal(wi.ModTime()) {
			t.Errorf("%s: info %v %d %v, want %v %d %v", w.Name(), gi.Mode(), gi.Size(), gi.ModTime(), wi.Mode(), wi.Size(), wi.ModTime())
		}
		gs, ws := gi.Sys().(*syscall.Stat_t), wi.Sys().(*syscall.Stat_t)
		if gs.Dev != ws.Dev || gs.Ino != ws.Ino || gs.Mode != ws.Mode || gs.Size != ws.Size || gs.Mtim != ws.Mtim {
			t.Errorf("%s: Sys %+v, want %+v", w.Name(), gs, ws)
		}
		gst, ok1 := StampOf(gi)
		wst, ok2 := StampOf(wi)
		if gst != wst || !ok1 || !ok2 {
			t.Errorf("%s: stamp %+v, want %+v", w.Name(), gst, wst)
		}
	}
}

package localfs

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var nameMtime = xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}

// TestRecoverLive records an mtime change of /f with PatchPropsLive, does on
// disk what happened before the crash, and checks what RecoverLive leaves:
// the change made where the file is the one prepared on, never on a file
// that replaced it (DESIGN §4).
func TestRecoverLive(t *testing.T) {
	t.Parallel()
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	target := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	later := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		crash     func(t *testing.T, f *FS, record []byte) // what happened after the commit
		wantMtime time.Time                                // of /f afterwards
		applied   bool
	}{
		{"DESIGN4 killed before the change: re-applied", func(*testing.T, *FS, []byte) {}, target, true},
		{"DESIGN4 changed, maybe not fsynced: made again", func(t *testing.T, f *FS, rec []byte) {
			if err := f.ApplyLive("/f", rec); err != nil {
				t.Fatal(err)
			}
		}, target, true},
		{"DESIGN4 replaced by a later PUT: dropped", func(t *testing.T, f *FS, _ []byte) {
			tmp := filepath.Join(f.Root(), "new")
			if err := os.WriteFile(tmp, []byte("0123456789"), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(tmp, later, later)
			if err := os.Rename(tmp, filepath.Join(f.Root(), "f")); err != nil {
				t.Fatal(err)
			}
		}, later, false},
		{"DESIGN4 touched since: dropped", func(t *testing.T, f *FS, _ []byte) {
			os.Chtimes(filepath.Join(f.Root(), "f"), later, later)
		}, later, false},
		{"DESIGN4 deleted since: dropped", func(t *testing.T, f *FS, _ []byte) {
			os.Remove(filepath.Join(f.Root(), "f"))
		}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newTestFS(t)
			local := filepath.Join(f.Root(), "f")
			if err := os.WriteFile(local, []byte("0123456789"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(local, old, old); err != nil {
				t.Fatal(err)
			}
			rec, err := f.PrepareMtime("/f", target)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.store.PatchPropsLive(ctx, "/f", map[xml.Name][]byte{propA: []byte("<a/>")}, nil, map[xml.Name][]byte{nameMtime: rec}); err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(local); !fi.ModTime().Equal(old) {
				t.Fatalf("Prepare and the commit changed the mtime to %v", fi.ModTime())
			}
			tt.crash(t, f, rec)
			applied, err := f.RecoverLive(ctx)
			if err != nil {
				t.Fatalf("RecoverLive: %v", err)
			}
			if got := len(applied) == 1; got != tt.applied {
				t.Errorf("re-applied %v, want %v", applied, tt.applied)
			}
			fi, err := os.Stat(local)
			switch {
			case tt.wantMtime.IsZero():
				if err == nil {
					t.Errorf("/f came back")
				}
			case err != nil:
				t.Fatal(err)
			case !fi.ModTime().Equal(tt.wantMtime):
				t.Errorf("mtime %v, want %v", fi.ModTime().UTC(), tt.wantMtime)
			}
			// The clear is not awaited; a later write commits after it.
			if err := f.store.PatchProps(ctx, "/other", map[xml.Name][]byte{propA: []byte("<a/>")}, nil); err != nil {
				t.Fatal(err)
			}
			if left, err := f.store.LiveRecords(ctx); err != nil || len(left) != 0 {
				t.Errorf("records left after recovery: %v, %v", left, err)
			}
		})
	}
}

// TestPrepareExec checks the execute bits a record sets, that a folder is
// refused, and that RevertLive puts the old mode back.
func TestPrepareExec(t *testing.T) {
	t.Parallel()
	f := newTestFS(t)
	local := filepath.Join(f.Root(), "s.sh")
	if err := os.WriteFile(local, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(local, 0o640)
	mode := func() os.FileMode {
		fi, err := os.Stat(local)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	rec, err := f.PrepareExec("/s.sh", true)
	if err != nil {
		t.Fatal(err)
	}
	if m := mode(); m != 0o640 {
		t.Fatalf("Prepare changed the mode to %o", m)
	}
	if err := f.ApplyLive("/s.sh", rec); err != nil {
		t.Fatal(err)
	}
	if m := mode(); m != 0o750 {
		t.Errorf("mode after +x %o, want 750", m)
	}
	back, err := RevertLive(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ApplyLive("/s.sh", back); err != nil {
		t.Fatal(err)
	}
	if m := mode(); m != 0o640 {
		t.Errorf("mode after revert %o, want 640", m)
	}
	os.Mkdir(filepath.Join(f.Root(), "d"), 0o755)
	if _, err := f.PrepareExec("/d", true); err != ErrNotFile {
		t.Errorf("PrepareExec of a folder = %v, want ErrNotFile", err)
	}
	if _, err := f.PrepareMtime("/.atomdav/state.db", time.Now()); err == nil {
		t.Errorf("PrepareMtime reached the state folder")
	}
}

// TestJudgeLive checks what recovery does with a record given the file as
// it is: set the old-valued file, only fsync the new-valued one, drop the
// rest (DESIGN §4: never an old value over a newer change).
func TestJudgeLive(t *testing.T) {
	t.Parallel()
	file := liveChange{Dev: 1, Ino: 2, Size: 3, OldTime: 100, OldMode: 0o644}
	mtime := file
	mtime.Mtime = 200
	exec := file
	exec.Mode = 0o755
	with := func(f func(*liveChange)) liveChange { c := file; f(&c); return c }
	for _, tt := range []struct {
		name    string
		rec     liveChange
		cur     liveChange
		ok, set bool
	}{
		{"mtime not yet changed: set", mtime, file, true, true},
		{"mtime changed: fsync only", mtime, with(func(c *liveChange) { c.OldTime = 200 }), true, false},
		{"mtime changed since: drop", mtime, with(func(c *liveChange) { c.OldTime = 300 }), false, false},
		{"another inode: drop", mtime, with(func(c *liveChange) { c.Ino = 9 }), false, false},
		{"another size: drop", mtime, with(func(c *liveChange) { c.Size = 4 }), false, false},
		{"mode not yet changed: set", exec, file, true, true},
		{"mode changed: fsync only", exec, with(func(c *liveChange) { c.OldMode = 0o755 }), true, false},
		{"mode changed since: drop", exec, with(func(c *liveChange) { c.OldMode = 0o600 }), false, false},
	} {
		if ok, set := tt.rec.judge(tt.cur); ok != tt.ok || set != tt.set {
			t.Errorf("%s: judge = %v, %v; want %v, %v", tt.name, ok, set, tt.ok, tt.set)
		}
	}
}

package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// bound is how long a test waits for the watcher before it fails: a
// failure bound only, never a measured duration.
const bound = 30 * time.Second

// startWatcher starts a watcher of fsys into idx that stops with the
// test; errors it reports while running fail the test.
func startWatcher(t *testing.T, fsys *localfs.FS, idx Index, opts Options) (*Watcher, Report) {
	t.Helper()
	if !haveInotify {
		t.Skip("no inotify")
	}
	opts.Watch = true
	if opts.Debounce == 0 {
		opts.Debounce = 20 * time.Millisecond
	}
	errs := make(chan error, 16)
	opts.OnError = func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := New(fsys, idx, opts)
	rep, err := w.Start(ctx)
	t.Cleanup(func() {
		cancel()
		<-w.Done()
		select {
		case err := <-errs:
			t.Errorf("the watcher reported: %v", err)
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.WatchErr != nil {
		t.Fatalf("no watcher: %v", rep.WatchErr)
	}
	return w, rep
}

// waitQuiet polls until the index describes the disk, and fails after
// bound.
func waitQuiet(t *testing.T, idx *fakeIndex, root string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		d := diffViews(idx.indexView(), diskView(t, root))
		if d == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index does not catch up with the disk: %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWatchDiskChanges: changes made directly on disk while the watcher
// runs are recorded, each as exactly the changes it makes, with no
// rescan but those its events ask for.
func TestWatchDiskChanges(t *testing.T) {
	root, fsys := newShare(t)
	spare := t.TempDir()
	at := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	write(t, root, "a.txt", "a")
	write(t, root, "sub/x/y.txt", "y")
	write(t, root, "sub/z.txt", "z")
	write(t, root, "rm/deep/er/f.txt", "f")
	idx := newFakeIndex()
	startWatcher(t, fsys, idx, Options{})
	steps := []struct {
		name string
		do   func(t *testing.T)
		want []string
	}{
		{"create a file", func(t *testing.T) { moveIn(t, spare, at("new.txt"), "new") }, []string{"+ /new.txt"}},
		{"create a folder with members", func(t *testing.T) {
			must(t, os.Mkdir(filepath.Join(spare, "nd"), 0o755))
			write(t, spare, "nd/in/f.txt", "f")
			must(t, os.Rename(filepath.Join(spare, "nd"), at("nd")))
		}, []string{"+ /nd", "+ /nd/in", "+ /nd/in/f.txt"}},
		{"a file in the new folder", func(t *testing.T) { moveIn(t, spare, at("nd/in/g.txt"), "g") }, []string{"+ /nd/in/g.txt"}},
		{"resize", func(t *testing.T) { appendTo(t, at("a.txt"), "more") }, []string{"+ /a.txt"}},
		{"touch", func(t *testing.T) {
			must(t, os.Chtimes(at("sub/z.txt"), time.Now(), time.Now().Add(-time.Hour)))
		}, []string{"+ /sub/z.txt"}},
		{"restore: same size and mtime, new inode", func(t *testing.T) { restore(t, at("sub/x/y.txt"), spare) }, []string{"+ /sub/x/y.txt"}},
		{"delete a file", func(t *testing.T) { must(t, os.Remove(at("new.txt"))) }, []string{"- /new.txt"}},
		{"rename a file", func(t *testing.T) { must(t, os.Rename(at("sub/z.txt"), at("sub/zz.txt"))) }, []string{"+ /sub/zz.txt", "- /sub/z.txt"}},
		// Out of the share in one rename: rm -r, removing members one by
		// one, may let a rescan see some of them go first (as it should).
		{"delete a folder", func(t *testing.T) { must(t, os.Rename(at("rm"), filepath.Join(spare, "rm"))) }, []string{"- /rm"}},
		{"rename a folder", func(t *testing.T) { must(t, os.Rename(at("sub"), at("nd/sub2"))) },
			[]string{"+ /nd/sub2", "+ /nd/sub2/x", "+ /nd/sub2/x/y.txt", "+ /nd/sub2/zz.txt", "- /sub"}},
		{"a file in the renamed folder", func(t *testing.T) { moveIn(t, spare, at("nd/sub2/x/w.txt"), "w") }, []string{"+ /nd/sub2/x/w.txt"}},
		{"state folder and temp files", func(t *testing.T) {
			write(t, root, stateFolder+"/state.db", "changed")
			write(t, root, stateFolder+"/new", "new")
			write(t, root, localfs.TempPrefix+"up", "partial")
			write(t, root, "nd/"+localfs.TempPrefix+"up", "partial")
			moveIn(t, spare, at("last.txt"), "last") // an event to wait for
		}, []string{"+ /last.txt"}},
	}
	for _, s := range steps {
		mark := idx.mark()
		s.do(t)
		waitQuiet(t, idx, root)
		if got := idx.since(mark); !slices.Equal(got, s.want) {
			t.Errorf("%s: recorded %v, want %v", s.name, got, s.want)
		}
	}
}

// moveIn makes a file with content s in spare and renames it to local:
// one event, as an editor's atomic save makes.
func moveIn(t *testing.T, spare, local, s string) {
	t.Helper()
	tmp := filepath.Join(spare, "movein")
	must(t, os.WriteFile(tmp, []byte(s), 0o644))
	must(t, os.Rename(tmp, local))
}

func appendTo(t *testing.T, local, s string) {
	t.Helper()
	f, err := os.OpenFile(local, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.WriteString(s)
	must(t, err)
	must(t, f.Close())
}

// TestWatchBurst: a burst of 10,000 creates is recorded in few, bounded
// batches, not one rescan per event.
func TestWatchBurst(t *testing.T) {
	root, fsys := newShare(t)
	idx := newFakeIndex()
	startWatcher(t, fsys, idx, Options{Batch: 500, Debounce: 200 * time.Millisecond})
	for i := 0; i < 10_000; i++ {
		f, err := os.Create(filepath.Join(root, fmt.Sprintf("f%05d", i)))
		must(t, err)
		must(t, f.Close())
	}
	waitQuiet(t, idx, root)
	if m := idx.maxBatch(); m > 500 {
		t.Errorf("a batch of %d changes, over the 500 asked", m)
	}
	idx.mu.Lock()
	calls, changes := len(idx.batches), len(idx.log)
	idx.mu.Unlock()
	if calls > 1000 || changes > 20_000 {
		t.Errorf("10,000 creates made %d RecordChanges of %d changes in all", calls, changes)
	}
}

// TestWatchOverflow: when the kernel's queue overflowed (events lost),
// the whole share is rescanned. The watch of a folder is taken away
// behind the watcher's back, so only a full rescan can see the file
// created there.
func TestWatchOverflow(t *testing.T) {
	root, fsys := newShare(t)
	write(t, root, "quiet/a.txt", "a")
	idx := newFakeIndex()
	w, _ := startWatcher(t, fsys, idx, Options{})
	must(t, w.fsw.Remove(filepath.Join(root, "quiet")))
	mark := idx.mark()
	write(t, root, "quiet/lost.txt", "lost")
	w.fsw.Errors <- fsnotify.ErrEventOverflow
	waitQuiet(t, idx, root)
	if got := idx.since(mark); !slices.Equal(got, []string{"+ /quiet/lost.txt"}) {
		t.Errorf("recorded %v", got)
	}
	// Every watch was set afresh, the one taken away too.
	write(t, root, "quiet/after.txt", "after")
	waitQuiet(t, idx, root)
}

// TestWatchLimit: a tree needing more watches than the limit allows is
// watched as far as it goes, the rest counted, and the report's note
// says what it means and how to raise the limit.
func TestWatchLimit(t *testing.T) {
	root, fsys := newShare(t)
	for i := 0; i < 10; i++ {
		write(t, root, fmt.Sprintf("d%d/f", i), "f")
	}
	defer func(old func() limits) { limitsOf = old }(limitsOf)
	limitsOf = func() limits { return limits{watches: 4, instances: 128} }
	_, rep := startWatcher(t, fsys, newFakeIndex(), Options{})
	if rep.Watched != 4 || rep.Unwatched != 7 {
		t.Errorf("watched %d, unwatched %d, want 4 and 7", rep.Watched, rep.Unwatched)
	}
	note := rep.WatchNote()
	for _, s := range []string{"4 of 11 folders", "other 7", "periodic rescan", "sysctl fs.inotify.max_user_watches"} {
		if !strings.Contains(note, s) {
			t.Errorf("note %q does not say %q", note, s)
		}
	}
}

// TestWatchPendingBound: events in more folders than MaxPending turn
// into one full rescan (the set of folders waiting stays bounded), which
// sees even a change in a folder whose watch was taken away.
func TestWatchPendingBound(t *testing.T) {
	root, fsys := newShare(t)
	for i := 0; i < 6; i++ {
		write(t, root, fmt.Sprintf("d%d/a.txt", i), "a")
	}
	idx := newFakeIndex()
	w, _ := startWatcher(t, fsys, idx, Options{MaxPending: 3, Debounce: 500 * time.Millisecond})
	must(t, w.fsw.Remove(filepath.Join(root, "d0")))
	mark := idx.mark()
	write(t, root, "d0/unseen.txt", "u")
	for i := 1; i < 6; i++ {
		write(t, root, fmt.Sprintf("d%d/b.txt", i), "b")
	}
	waitQuiet(t, idx, root)
	want := []string{"+ /d0/unseen.txt", "+ /d1/b.txt", "+ /d2/b.txt", "+ /d3/b.txt", "+ /d4/b.txt", "+ /d5/b.txt"}
	if got := idx.since(mark); !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
}

// TestWatchMovedAwayAndBack: a folder renamed and renamed back is no
// change to the index, but fsnotify dropped its watch on the first
// rename: the watcher watches it again, so a file made in it later is
// seen.
func TestWatchMovedAwayAndBack(t *testing.T) {
	root, fsys := newShare(t)
	spare := t.TempDir()
	write(t, root, "d/x/a.txt", "a")
	idx := newFakeIndex()
	w, _ := startWatcher(t, fsys, idx, Options{Debounce: time.Second})
	x := filepath.Join(root, "d", "x")
	rounds := w.rounds.Load()
	must(t, os.Rename(x, filepath.Join(root, "d", "away")))
	must(t, os.Rename(filepath.Join(root, "d", "away"), x))
	// fsnotify drops the watch (well within the watcher's gathering
	// window), then the rescan the renames asked for runs: after it,
	// only a watch set again can see what comes next.
	waitFor(t, func() bool { return !slices.Contains(w.fsw.WatchList(), x) })
	if w.rounds.Load() != rounds {
		t.Fatal("a rescan ran before fsnotify dropped the watch")
	}
	waitFor(t, func() bool { return w.rounds.Load() > rounds })
	mark := idx.mark()
	moveIn(t, spare, filepath.Join(x, "b.txt"), "b")
	waitQuiet(t, idx, root)
	if got := idx.since(mark); !slices.Equal(got, []string{"+ /d/x/b.txt"}) {
		t.Errorf("recorded %v", got)
	}
}

// waitFor polls cond until it holds, and fails after bound.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(bound); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("waited in vain")
		}
	}
}

// TestWatchJournaledMove: a folder atomdav moves is journaled with its
// members before the rescan its events bring (here, even before the
// rename, the test's stand-in for the intent's commit), which finds it
// unchanged; fsnotify dropped its watch with the rename all the same.
// The watcher lists and watches it again, so files made in it and in a
// folder below it later are seen.
func TestWatchJournaledMove(t *testing.T) {
	root, fsys := newShare(t)
	spare := t.TempDir()
	write(t, root, "d/x/sub/a.txt", "a")
	idx := newFakeIndex()
	w, _ := startWatcher(t, fsys, idx, Options{})
	var moved []storage.Change
	for _, p := range []string{"/d/x", "/d/x/sub", "/d/x/sub/a.txt"} {
		c := idx.snapshot()[p]
		c.Path = "/d/y" + strings.TrimPrefix(p, "/d/x")
		moved = append(moved, c)
	}
	if _, err := idx.RecordChanges(context.Background(), append([]storage.Change{{Path: "/d/x", Kind: storage.ChangeRemoved, Dir: true}}, moved...)); err != nil {
		t.Fatal(err)
	}
	rounds := w.rounds.Load()
	must(t, os.Rename(filepath.Join(root, "d", "x"), filepath.Join(root, "d", "y")))
	waitFor(t, func() bool { return w.rounds.Load() > rounds })
	waitQuiet(t, idx, root)
	mark := idx.mark()
	moveIn(t, spare, filepath.Join(root, "d", "y", "b.txt"), "b")
	moveIn(t, spare, filepath.Join(root, "d", "y", "sub", "c.txt"), "c")
	waitQuiet(t, idx, root)
	if got := idx.since(mark); !slices.Equal(got, []string{"+ /d/y/b.txt", "+ /d/y/sub/c.txt"}) {
		t.Errorf("recorded %v", got)
	}
}

package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// write makes the file rel of root with content s, folders on the way.
func write(t testing.TB, root, rel, s string) {
	t.Helper()
	local := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// scanOnce runs a start-up scan of fsys into idx and waits for the
// watcher to stop.
func scanOnce(t testing.TB, fsys *localfs.FS, idx Index, opts Options) Report {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := New(fsys, idx, opts)
	rep, err := w.Start(ctx)
	cancel()
	<-w.Done()
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestScanIndexesShare: a start-up scan indexes every member the share
// serves (never the state folder nor temp files), and a second scan of
// an unchanged tree records nothing.
func TestScanIndexesShare(t *testing.T) {
	root, fsys := newShare(t)
	write(t, root, "a.txt", "aaa")
	write(t, root, "d/e/f.txt", "ffff")
	write(t, root, "d/g.txt", "")
	write(t, root, "d/"+localfs.TempPrefix+"upload", "partial")
	write(t, root, localfs.TempPrefix+"x", "partial")
	must(t, os.Mkdir(filepath.Join(root, "empty"), 0o755))
	idx := newFakeIndex()
	rep := scanOnce(t, fsys, idx, Options{})
	if d := diffViews(idx.indexView(), diskView(t, root)); d != "" {
		t.Fatalf("index after the scan differs from the disk: %s", d)
	}
	if rep.Folders != 4 || rep.Files != 3 || rep.Changes != 6 {
		t.Errorf("report %+v, want 4 folders, 3 files, 6 changes", rep.Stats)
	}
	for p := range idx.snapshot() {
		if strings.Contains(p, stateFolder) || strings.Contains(p, localfs.TempPrefix) {
			t.Errorf("%s indexed", p)
		}
	}
	mark := idx.mark()
	rep = scanOnce(t, fsys, idx, Options{})
	if got := idx.since(mark); len(got) != 0 || rep.Changes != 0 {
		t.Errorf("second scan of an unchanged tree recorded %v", got)
	}
}

// TestScanAfterRestart: a fresh watcher over the same index records only
// what changed on disk while none ran: files created, resized, touched,
// restored (same size and mtime, new inode), deleted, renamed; folders
// created, deleted (one removal for the subtree), renamed, replaced by a
// file.
func TestScanAfterRestart(t *testing.T) {
	root, fsys := newShare(t)
	for _, f := range []string{"keep.txt", "grow.txt", "touch.txt", "restore.txt", "gone.txt", "old.txt",
		"tree/a/b.txt", "tree/c.txt", "mv/x/y.txt", "asfile/z.txt", "same/s.txt"} {
		write(t, root, f, "content of "+f)
	}
	idx := newFakeIndex()
	scanOnce(t, fsys, idx, Options{})
	mark := idx.mark()

	at := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	write(t, root, "new.txt", "new")
	write(t, root, "newdir/sub/n.txt", "n")
	write(t, root, "grow.txt", "content of grow.txt, and more")
	must(t, os.Chtimes(at("touch.txt"), time.Now(), time.Now().Add(-time.Hour)))
	restore(t, at("restore.txt"), t.TempDir())
	must(t, os.Remove(at("gone.txt")))
	must(t, os.Rename(at("old.txt"), at("renamed.txt")))
	must(t, os.RemoveAll(at("tree")))
	must(t, os.Rename(at("mv"), at("moved")))
	must(t, os.RemoveAll(at("asfile")))
	write(t, root, "asfile", "a file now")

	scanOnce(t, fsys, idx, Options{})
	want := []string{
		"+ /asfile", "+ /grow.txt", "+ /moved", "+ /moved/x", "+ /moved/x/y.txt", "+ /new.txt", "+ /newdir",
		"+ /newdir/sub", "+ /newdir/sub/n.txt", "+ /renamed.txt", "+ /restore.txt", "+ /touch.txt",
		"- /asfile", "- /gone.txt", "- /mv", "- /old.txt", "- /tree",
	}
	if got := idx.since(mark); !slices.Equal(got, want) {
		t.Errorf("changes recorded after the restart:\n got %v\nwant %v", got, want)
	}
	if d := diffViews(idx.indexView(), diskView(t, root)); d != "" {
		t.Fatalf("index differs from the disk: %s", d)
	}
}

// restore replaces the file local by a copy with the same content and
// mtime, under a new inode, as a backup restore does; the copy is made
// in the folder spare, outside the share, and renamed into place.
func restore(t testing.TB, local, spare string) {
	t.Helper()
	fi, err := os.Stat(local)
	must(t, err)
	b, err := os.ReadFile(local)
	must(t, err)
	tmp := filepath.Join(spare, filepath.Base(local))
	must(t, os.WriteFile(tmp, b, 0o644))
	must(t, os.Chtimes(tmp, fi.ModTime(), fi.ModTime()))
	must(t, os.Rename(tmp, local))
	after, err := os.Stat(local)
	must(t, err)
	a, _ := localfs.StampOf(fi)
	z, _ := localfs.StampOf(after)
	if a.Ino == z.Ino || a.Size != z.Size || a.Mtime != z.Mtime {
		t.Fatalf("restore made %+v from %+v, want only the inode to change", z, a)
	}
}

// TestScanSymlinks: a symlink is indexed as what the share serves under
// its name, and loops of links, links leading out of the share, to the
// state folder or nowhere neither stop the scan nor make it spin.
func TestScanSymlinks(t *testing.T) {
	root, fsys := newShare(t)
	outside := t.TempDir()
	write(t, outside, "secret.txt", "secret")
	write(t, root, "a/f.txt", "f")
	write(t, root, "b/g.txt", "g")
	links := map[string]string{
		"a/loop":   "..",      // back to the root
		"a/toB":    "../b",    // b/toA leads back: a loop of two
		"b/toA":    "../a",    //
		"lfile":    "a/f.txt", // a file inside
		"out":      outside,   // out of the share
		"outfile":  filepath.Join(outside, "secret.txt"),
		"state":    stateFolder,         // the state folder
		"dangling": "nowhere",           //
		"self":     "self",              // a loop of one
		"a/deep":   "../b/../a/../a/..", // the root again
		"tmplink":  localfs.TempPrefix + "t",
	}
	write(t, root, localfs.TempPrefix+"t", "temp")
	for name, target := range links {
		must(t, os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))))
	}
	idx := newFakeIndex()
	done := make(chan struct{})
	go func() { defer close(done); scanOnce(t, fsys, idx, Options{}) }()
	select {
	case <-done:
	case <-time.After(time.Minute): // a failure bound only
		t.Fatal("the scan of a tree with symlink loops does not end")
	}
	got := idx.snapshot()
	var paths []string
	for p := range got {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	want := []string{"/a", "/a/deep", "/a/f.txt", "/a/loop", "/a/toB", "/b", "/b/g.txt", "/b/toA", "/lfile"}
	if !slices.Equal(paths, want) {
		t.Fatalf("indexed %v, want %v", paths, want)
	}
	if l, f := got["/lfile"], got["/a/f.txt"]; l.Dir || l.Size != f.Size || l.Inode != f.Inode || l.MtimeNs != f.MtimeNs {
		t.Errorf("/lfile is %+v, want the file it leads to, %+v", l, f)
	}
	if l, b := got["/a/toB"], got["/b"]; !l.Dir || l.Inode != b.Inode {
		t.Errorf("/a/toB is %+v, want the folder it leads to, %+v", l, b)
	}
	mark := idx.mark()
	scanOnce(t, fsys, idx, Options{})
	if c := idx.since(mark); len(c) != 0 {
		t.Errorf("second scan recorded %v", c)
	}
}

// bigTree makes files files in folders of 1000 below root.
func bigTree(t testing.TB, root string, files int) {
	t.Helper()
	for i := 0; i < files; i++ {
		dir := filepath.Join(root, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			must(t, os.Mkdir(dir, 0o755))
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%04d", i%1000)))
		must(t, err)
		must(t, f.Close())
	}
}

// TestScanLargeTree: a tree of 100,000 files is indexed in batches no
// larger than Options.Batch, and a second scan records nothing.
func TestScanLargeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 files")
	}
	root, fsys := newShare(t)
	bigTree(t, root, 100_000)
	idx := newFakeIndex()
	rep := scanOnce(t, fsys, idx, Options{Batch: 500})
	if rep.Files != 100_000 || rep.Changes != 100_100 {
		t.Fatalf("first scan: %+v, want 100000 files and 100100 changes", rep.Stats)
	}
	if m := idx.maxBatch(); m > 500 {
		t.Errorf("a batch of %d changes, over the 500 asked", m)
	}
	mark := idx.mark()
	rep = scanOnce(t, fsys, idx, Options{Batch: 500})
	if c := idx.since(mark); len(c) != 0 || rep.Files != 100_000 {
		t.Errorf("second scan saw %d files and recorded %d changes", rep.Files, len(c))
	}
}

// BenchmarkScan measures a reconciling scan of a tree of 100,000 files
// the index already describes (the periodic rescan of a quiet share).
func BenchmarkScan(b *testing.B) {
	root, fsys := newShare(b)
	bigTree(b, root, 100_000)
	idx := newFakeIndex()
	scanOnce(b, fsys, idx, Options{})
	b.ResetTimer()
	for b.Loop() {
		if rep := scanOnce(b, fsys, idx, Options{}); rep.Changes != 0 {
			b.Fatalf("%d changes", rep.Changes)
		}
	}
}

// reversed lists an index's children in reverse name order.
type reversed struct{ *fakeIndex }

func (r reversed) IndexChildren(ctx context.Context, dir string, fn func(storage.Change) error) error {
	var kids []storage.Change
	if err := r.fakeIndex.IndexChildren(ctx, dir, func(c storage.Change) error { kids = append(kids, c); return nil }); err != nil {
		return err
	}
	slices.Reverse(kids)
	for _, c := range kids {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// TestScanRefusesUnorderedIndex: an index that lists children out of
// name order fails the scan rather than make it record false removals.
func TestScanRefusesUnorderedIndex(t *testing.T) {
	root, fsys := newShare(t)
	write(t, root, "a", "a")
	write(t, root, "b", "b")
	write(t, root, "c", "c")
	idx := newFakeIndex()
	scanOnce(t, fsys, idx, Options{})
	mark := idx.mark()
	w := New(fsys, reversed{idx}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	_, err := w.Start(ctx)
	cancel()
	<-w.Done()
	if !errors.Is(err, errOrder) {
		t.Errorf("Start = %v, want errOrder", err)
	}
	if got := idx.since(mark); len(got) != 0 {
		t.Errorf("recorded %v", got)
	}
}

// landing is an Index into which, just before the folder dir is first
// read from it, an upload lands as atomdav makes one: the file renamed
// into place on disk, then journaled.
type landing struct {
	*fakeIndex
	t         *testing.T
	root, dir string
	done      bool
}

func (l *landing) IndexChildren(ctx context.Context, dir string, fn func(storage.Change) error) error {
	if dir == l.dir && !l.done {
		l.done = true
		write(l.t, l.root, strings.TrimPrefix(dir, "/")+"/new.txt", "new")
		fi, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(dir), "new.txt"))
		must(l.t, err)
		st, _ := localfs.StampOf(fi)
		_, err = l.fakeIndex.RecordChanges(ctx, []storage.Change{{Path: dir + "/new.txt", Kind: storage.ChangeUpsert,
			Size: st.Size, MtimeNs: st.Mtime, Inode: st.Ino}})
		must(l.t, err)
	}
	return l.fakeIndex.IndexChildren(ctx, dir, fn)
}

// TestScanUploadLanding: a file that lands in a folder after the scan
// listed it but before the index was read (so the index holds it and
// the listing does not) is not recorded removed: its event would then
// find the index wrong and rescan the folder again, where the next
// upload could land the same way.
func TestScanUploadLanding(t *testing.T) {
	root, fsys := newShare(t)
	write(t, root, "d/a.txt", "a")
	idx := &landing{fakeIndex: newFakeIndex(), t: t, root: root, dir: "/d"}
	scanOnce(t, fsys, idx, Options{})
	if d := diffViews(idx.indexView(), diskView(t, root)); d != "" {
		t.Fatalf("after the scan: %s", d)
	}
	for _, c := range idx.since(0) {
		if strings.HasPrefix(c, "- ") {
			t.Errorf("the scan recorded %s", c)
		}
	}
}

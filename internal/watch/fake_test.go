package watch

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// fakeIndex is an in-memory Index that keeps the seam's contract: an
// upsert sets a path's view, a removal deletes the path and everything
// below it, children are listed in name order. It refuses what the
// contract forbids (a Seq set, an unclean path, the root, an unknown
// kind), so a scan that sends such changes fails its test. Like the
// stores, it indexes the folders above an upsert that it does not hold.
type fakeIndex struct {
	mu      sync.Mutex
	kids    map[string]map[string]storage.Change // folder → name → view
	log     []storage.Change                     // every change recorded, in order
	batches []int                                // size of each RecordChanges
}

func newFakeIndex() *fakeIndex {
	return &fakeIndex{kids: map[string]map[string]storage.Change{}}
}

var _ Index = (*fakeIndex)(nil)

func (f *fakeIndex) RecordChanges(ctx context.Context, changes []storage.Change) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range changes {
		if err := f.check(c); err != nil {
			return 0, err
		}
		dir, name := path.Dir(c.Path), path.Base(c.Path)
		if c.Kind == storage.ChangeRemoved {
			delete(f.kids[dir], name)
			f.removeBelow(c.Path)
		} else {
			if old, ok := f.kids[dir][name]; ok && old.Dir && !c.Dir && len(f.kids[c.Path]) > 0 {
				return 0, fmt.Errorf("fake: %q upserted as a file over a folder with members", c.Path)
			}
			f.indexAbove(c.Path)
			f.kids[dir][name] = c
		}
		f.log = append(f.log, c)
	}
	f.batches = append(f.batches, len(changes))
	return uint64(len(f.log)), nil
}

// indexAbove indexes the folders above p the index does not hold, of
// unknown inode, as the stores do (storage.Journal.RecordChanges).
func (f *fakeIndex) indexAbove(p string) {
	for d := path.Dir(p); ; d = path.Dir(d) {
		if f.kids[d] == nil {
			f.kids[d] = map[string]storage.Change{}
		}
		if d == "/" {
			return
		}
		if _, ok := f.kids[path.Dir(d)][path.Base(d)]; ok {
			return
		}
		if f.kids[path.Dir(d)] == nil {
			f.kids[path.Dir(d)] = map[string]storage.Change{}
		}
		f.kids[path.Dir(d)][path.Base(d)] = storage.Change{Path: d, Kind: storage.ChangeUpsert, Dir: true}
	}
}

// check refuses a change the contract does not allow.
func (f *fakeIndex) check(c storage.Change) error {
	switch {
	case c.Seq != 0:
		return fmt.Errorf("fake: Seq %d in input", c.Seq)
	case !storage.ValidPath(c.Path) || c.Path == "/":
		return fmt.Errorf("fake: bad path %q", c.Path)
	case c.Kind != storage.ChangeUpsert && c.Kind != storage.ChangeRemoved:
		return fmt.Errorf("fake: bad kind %d", c.Kind)
	case c.Kind == storage.ChangeUpsert && c.Dir && c.Size != 0:
		return fmt.Errorf("fake: folder %q with a size", c.Path)
	}
	return nil
}

// removeBelow deletes everything below p.
func (f *fakeIndex) removeBelow(p string) {
	for name, c := range f.kids[p] {
		if c.Dir {
			f.removeBelow(path.Join(p, name))
		}
	}
	delete(f.kids, p)
}

func (f *fakeIndex) IndexChildren(ctx context.Context, dir string, fn func(storage.Change) error) error {
	f.mu.Lock()
	var kids []storage.Change
	for _, c := range f.kids[dir] {
		kids = append(kids, c)
	}
	f.mu.Unlock()
	slices.SortFunc(kids, func(a, b storage.Change) int { return strings.Compare(a.Path, b.Path) })
	for _, c := range kids {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// snapshot is every view the index holds, by path.
// IndexEntry is the fake's view of p, as storage.Journal's.
func (f *fakeIndex) IndexEntry(ctx context.Context, p string) (storage.Change, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.kids[path.Dir(p)][path.Base(p)]
	return c, ok, nil
}

// folderOnly hides IndexEntry: the watcher then rescans the folder of
// every event, as with an index that cannot look one path up.
type folderOnly struct{ Index }

func (f *fakeIndex) snapshot() map[string]storage.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]storage.Change{}
	for _, kids := range f.kids {
		for _, c := range kids {
			out[c.Path] = c
		}
	}
	return out
}

// mark is the number of changes recorded so far, for since.
func (f *fakeIndex) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.log)
}

// since is the set of "kind path" of the changes recorded after mark.
func (f *fakeIndex) since(mark int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.log[mark:] {
		out = append(out, kindPath(c))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func kindPath(c storage.Change) string {
	if c.Kind == storage.ChangeRemoved {
		return "- " + c.Path
	}
	return "+ " + c.Path
}

// maxBatch is the largest RecordChanges so far.
func (f *fakeIndex) maxBatch() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Max(append([]int{0}, f.batches...))
}

// diskView walks root with the os package, as an independent account of
// what the index should hold: every member but the state folder and temp
// files, a folder by kind and inode, a file by size, mtime and inode.
// Symlinks are not followed (tests that make them check them apart).
func diskView(t *testing.T, root string) map[string]storage.Change {
	t.Helper()
	out := map[string]storage.Change{}
	err := filepath.WalkDir(root, func(local string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, local)
		p := path.Clean("/" + filepath.ToSlash(rel))
		if p == "/" {
			return nil
		}
		if p == "/"+stateFolder || strings.HasPrefix(d.Name(), localfs.TempPrefix) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, _ := localfs.StampOf(fi)
		c := storage.Change{Path: p, Kind: storage.ChangeUpsert, Dir: d.IsDir(), Inode: st.Ino}
		if !c.Dir {
			c.Size, c.MtimeNs = fi.Size(), fi.ModTime().UnixNano()
		}
		out[p] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// indexView is the index's snapshot in diskView's terms (a folder's
// mtime is not compared: see same).
func (f *fakeIndex) indexView() map[string]storage.Change {
	out := f.snapshot()
	for p, c := range out {
		if c.Dir {
			c.MtimeNs = 0
			out[p] = c
		}
	}
	return out
}

// diffViews describes how two views differ, "" if they do not.
func diffViews(index, disk map[string]storage.Change) string {
	var b strings.Builder
	for p, d := range disk {
		if i, ok := index[p]; !ok {
			fmt.Fprintf(&b, "missing %s; ", p)
		} else if i != d {
			fmt.Fprintf(&b, "%s: index %+v disk %+v; ", p, i, d)
		}
	}
	for p := range index {
		if _, ok := disk[p]; !ok {
			fmt.Fprintf(&b, "extra %s; ", p)
		}
	}
	return b.String()
}

// stateFolder is the hidden state folder's name in the tests' shares.
const stateFolder = ".atomdav"

// newShare is a share over a new temp folder holding a state folder.
func newShare(t testing.TB) (string, *localfs.FS) {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, stateFolder), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, stateFolder, "state.db"), []byte("db"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := localfs.New(root, nil, localfs.Options{Hidden: stateFolder})
	if err != nil {
		t.Fatal(err)
	}
	return fsys.Root(), fsys
}

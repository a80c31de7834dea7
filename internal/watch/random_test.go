package watch

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// TestRandomDiskChanges: random changes made directly on disk, some
// while a watcher runs and some while none does; after each round the
// index describes the disk exactly (names, kinds, sizes, mtimes,
// inodes), and a fresh scan records nothing more.
func TestRandomDiskChanges(t *testing.T) {
	if !haveInotify {
		t.Skip("no inotify")
	}
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			root, fsys := newShare(t)
			idx := newFakeIndex()
			r := &randomTree{t: t, root: root, spare: t.TempDir(), rnd: rand.New(rand.NewPCG(seed, 17)), idx: idx}
			for round := 0; round < 4; round++ {
				ctx, cancel := context.WithCancel(context.Background())
				failed := make(chan error, 1)
				onError := func(err error) {
					select {
					case failed <- err:
					default:
					}
				}
				var index Index = idx // events settled path by path where they can be
				if seed%2 == 1 {
					index = folderOnly{idx} // every event rescans its folder
				}
				w := New(fsys, index, Options{Watch: true, Debounce: 5 * time.Millisecond, Batch: 7, OnError: onError})
				if _, err := w.Start(ctx); err != nil {
					t.Fatal(err)
				}
				// The start-up scan alone caught up with the changes
				// made while no watcher ran.
				if d := diffViews(idx.indexView(), diskView(t, root)); d != "" {
					t.Fatalf("round %d: after the start-up scan: %s", round, d)
				}
				for i := 0; i < 150; i++ {
					r.change()
					if r.rnd.IntN(20) == 0 {
						time.Sleep(3 * time.Millisecond) // let rescans interleave
					}
				}
				waitQuiet(t, idx, root)
				cancel()
				<-w.Done()
				select {
				case err := <-failed:
					t.Fatalf("round %d: the watcher reported: %v", round, err)
				default:
				}
				for i := 0; i < 30; i++ { // while no watcher runs
					r.change()
				}
			}
			scanOnce(t, fsys, idx, Options{})
			mark := idx.mark()
			scanOnce(t, fsys, idx, Options{})
			if c := idx.since(mark); len(c) != 0 {
				t.Errorf("a scan of a quiet tree recorded %v", c)
			}
		})
	}
}

// randomTree makes random changes in a tree.
type randomTree struct {
	t           *testing.T
	root, spare string
	rnd         *rand.Rand
	// idx, if set, gets some changes journaled as atomdav journals its
	// own: a MKCOL before the folder is made, a MOVE or DELETE once done.
	idx *fakeIndex
}

// members lists the tree's files and folders (the root among the
// folders), leaving out the state folder.
func (r *randomTree) members() (files, dirs []string) {
	dirs = []string{r.root}
	_ = filepath.WalkDir(r.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == r.root {
			return nil
		}
		if d.IsDir() {
			if d.Name() == stateFolder {
				return filepath.SkipDir
			}
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
		return nil
	})
	return files, dirs
}

func (r *randomTree) pick(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[r.rnd.IntN(len(list))]
}

// name is a fresh name in a random folder; few names, so they collide.
func (r *randomTree) name(dirs []string) string {
	return filepath.Join(r.pick(dirs), fmt.Sprintf("n%d", r.rnd.IntN(12)))
}

func (r *randomTree) content() []byte {
	return []byte(strings.Repeat("x", r.rnd.IntN(64)))
}

// change makes one random change; those the disk refuses (a name taken,
// a folder moved into itself) are skipped.
func (r *randomTree) change() {
	files, dirs := r.members()
	f, d := r.pick(files), r.pick(dirs[1:])
	ops := 11
	if r.idx != nil {
		ops = 16
	}
	switch op := r.rnd.IntN(ops); {
	case op == 0 || op == 1 || f == "":
		_ = os.WriteFile(r.name(dirs), r.content(), 0o644)
	case op == 2:
		_ = os.Mkdir(r.name(dirs), 0o755)
	case op == 3:
		_ = os.WriteFile(f, r.content(), 0o644) // in place: same inode
	case op == 4:
		mt := time.Unix(r.rnd.Int64N(2e9), r.rnd.Int64N(1e9))
		_ = os.Chtimes(f, mt, mt)
	case op == 5:
		restore(r.t, f, r.spare)
	case op == 6:
		_ = os.Remove(f)
	case op == 7 && d != "":
		_ = os.RemoveAll(d)
	case op == 8:
		_ = os.Rename(f, r.name(dirs))
	case op == 9 && d != "":
		if to := r.name(dirs); !strings.HasPrefix(to+"/", d+"/") {
			_ = os.Rename(d, to)
		}
	case op == 10 && d != "":
		_ = os.RemoveAll(d) // a folder replaced by a file
		_ = os.WriteFile(d, r.content(), 0o644)
	case op == 11: // atomdav's MKCOL: journaled first, restated if refused
		if to := r.name(dirs); r.journal(storage.Change{Path: r.store(to), Kind: storage.ChangeUpsert, Dir: true}) {
			if err := os.Mkdir(to, 0o755); err != nil {
				r.restate(to)
			}
		}
	case op == 12 && d != "": // atomdav's DELETE: journaled once done
		if os.RemoveAll(d) == nil {
			r.journal(storage.Change{Path: r.store(d), Kind: storage.ChangeRemoved, Dir: true})
		}
	case op >= 13 && d != "": // atomdav's MOVE of a folder, journaled once done: its members go with it
		to := r.name(dirs)
		if _, err := os.Lstat(to); err == nil || strings.HasPrefix(to+"/", d+"/") {
			return
		}
		from, dst := r.store(d), r.store(to)
		moved := []storage.Change{{Path: from, Kind: storage.ChangeRemoved, Dir: true}}
		view := diskView(r.t, r.root)
		for _, p := range slices.Sorted(maps.Keys(view)) {
			if p == from || strings.HasPrefix(p, from+"/") {
				c := view[p]
				c.Path = dst + strings.TrimPrefix(p, from)
				moved = append(moved, c)
			}
		}
		if os.Rename(d, to) == nil {
			r.journal(moved...)
		}
	}
}

// restate journals what the disk holds at the local path p, as atomdav
// does when a change it journaled first is refused by the disk.
func (r *randomTree) restate(p string) {
	c := storage.Change{Path: r.store(p), Kind: storage.ChangeRemoved}
	if fi, err := os.Lstat(p); err == nil {
		st, _ := localfs.StampOf(fi)
		c = storage.Change{Path: c.Path, Kind: storage.ChangeUpsert, Dir: fi.IsDir(), Inode: st.Ino, MtimeNs: fi.ModTime().UnixNano()}
		if !c.Dir {
			c.Size = fi.Size()
		}
	}
	r.journal(c)
}

// store is the store path of the local path p.
func (r *randomTree) store(p string) string {
	rel, err := filepath.Rel(r.root, p)
	if err != nil {
		r.t.Fatal(err)
	}
	return path.Clean("/" + filepath.ToSlash(rel))
}

// journal records changes before the change of the disk they describe,
// as atomdav does; false if the index refuses them (their folder is not
// indexed yet), and then the change is not made.
func (r *randomTree) journal(changes ...storage.Change) bool {
	_, err := r.idx.RecordChanges(context.Background(), changes)
	return err == nil
}

package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// Index is the part of storage.Journal the watcher needs: the store's
// view of the tree, one folder at a time (IndexChildren: in name order,
// as Go compares strings; a scan refuses any other order rather than
// record false removals), and the one way to change it (RecordChanges:
// durable, all or none; a removal takes the path's subtree out of the
// index). It is safe for concurrent use.
type Index interface {
	RecordChanges(ctx context.Context, changes []storage.Change) (uint64, error)
	IndexChildren(ctx context.Context, dir string, fn func(storage.Change) error) error
}

// Stats counts what a scan saw and did.
type Stats struct {
	Folders int // folders listed
	Files   int // members that are not folders
	Changes int // changes recorded
	Skipped int // folders that could not be read, left as the index has them
}

// errOrder is returned when the index lists a folder's children out of
// name order: merging by name would then record false removals.
var errOrder = errors.New("watch: index children not in name order")

// errVanished says the folder a scan was asked to list is gone (or no
// longer a folder).
var errVanished = errors.New("watch: folder vanished")

// scanner compares folders of the disk with the index and records the
// differences, in batches of at most batch changes. It is used by one
// goroutine at a time.
type scanner struct {
	fsys  *localfs.FS
	idx   Index
	batch int
	// Hooks of the watcher, each may be nil: dir is called for each
	// folder about to be listed, with its inode if known (to watch it),
	// gone for each folder the scan removes from the index or finds
	// replaced (to drop its watches), vanished for a folder found gone
	// while it was listed, unwatched for a folder the index holds as it
	// is that no watch reports on although one could (see compare).
	dir            func(p string, ino uint64)
	gone, vanished func(p string)
	unwatched      func(p string, ino uint64) bool

	pending []storage.Change
	stats   Stats
}

// scan compares the folder p and, when deep, every folder below it;
// otherwise only the folders that are new or were replaced. It returns
// errVanished if p itself is gone, and records what it found before any
// error of the store or ctx.
func (s *scanner) scan(ctx context.Context, p string, deep bool) error {
	err := s.scanDir(ctx, subdir{name: p}, deep, true)
	return errors.Join(err, s.flush(ctx, 1))
}

// scanDir is scan of one folder, then of the folders below it that need
// it, one at a time: only one folder's listing is held at once, plus, on
// each level of the recursion, the names of the subfolders still to scan.
func (s *scanner) scanDir(ctx context.Context, d subdir, deep, top bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := d.name
	if s.dir != nil {
		s.dir(p, d.ino)
	}
	disk, err := s.list(ctx, p)
	if err != nil {
		if vanished(err) {
			if top {
				return errVanished
			}
			if s.vanished != nil {
				s.vanished(p)
			}
			return nil
		}
		s.stats.Skipped++ // unreadable: believe the index
		return nil
	}
	s.stats.Folders++
	before := len(s.pending)
	sub, err := s.merge(ctx, p, disk, deep)
	if err != nil {
		s.stats.Changes -= len(s.pending) - before
		s.pending = s.pending[:before] // nothing of a folder half compared
		return err
	}
	disk = nil // released before the recursion
	if err := s.flush(ctx, s.batch); err != nil {
		return err
	}
	for _, c := range sub {
		if err := s.scanDir(ctx, subdir{path.Join(p, c.name), c.ino}, deep, false); err != nil {
			return err
		}
	}
	return nil
}

// merge walks p's listing and its index children together, both in name
// order, records what differs, and returns the names of the subfolders
// to scan next.
func (s *scanner) merge(ctx context.Context, p string, disk []entry, deep bool) (sub []subdir, err error) {
	i, last := 0, ""
	err = s.idx.IndexChildren(ctx, p, func(c storage.Change) error {
		if path.Dir(c.Path) != p {
			return fmt.Errorf("watch: index child %q is not in %q", c.Path, p)
		}
		name := path.Base(c.Path)
		if last != "" && name <= last {
			return fmt.Errorf("%w: %q after %q", errOrder, name, last)
		}
		last = name
		for ; i < len(disk) && disk[i].name < name; i++ {
			sub = s.added(p, &disk[i], sub)
		}
		if i < len(disk) && disk[i].name == name {
			sub = s.compare(c, &disk[i], deep, sub)
			i++
			return nil
		}
		sub = s.missing(ctx, c, deep, sub)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for ; i < len(disk); i++ {
		sub = s.added(p, &disk[i], sub)
	}
	return sub, nil
}

// added records e, a member of p the index does not know.
func (s *scanner) added(p string, e *entry, sub []subdir) []subdir {
	s.count(e)
	if e.unknown {
		return sub
	}
	s.record(e.change(path.Join(p, e.name)))
	if e.walk {
		sub = append(sub, subdir{e.name, e.inode})
	}
	return sub
}

// compare records e if it differs from c, the index's view of it.
func (s *scanner) compare(c storage.Change, e *entry, deep bool, sub []subdir) []subdir {
	s.count(e)
	if e.unknown {
		return sub
	}
	now := e.change(c.Path)
	if same(c, now) {
		// A folder unchanged for the index may still need a look: one
		// atomdav moved is journaled with its members as it is renamed,
		// before the rescan its events bring, and fsnotify drops the
		// watch of a folder renamed, so nothing
		// would report what happens in it from then on. Listing it sets
		// the watch first, then catches up with what it missed.
		if e.walk && (deep || s.unwatched != nil && s.unwatched(c.Path, e.inode)) {
			sub = append(sub, subdir{e.name, e.inode})
		}
		return sub
	}
	replaced := c.Dir && c.Inode != now.Inode
	switch {
	case c.Dir && !e.walk:
		// No longer a folder the scan walks (a file, or a symlink whose
		// target is indexed under its own name): what the index had
		// below it leaves with it.
		s.removed(c)
	case replaced && s.gone != nil:
		s.gone(c.Path) // another folder now: watch it afresh
	}
	s.record(now)
	if e.walk && (deep || replaced || !c.Dir) {
		sub = append(sub, subdir{e.name, e.inode})
	}
	return sub
}

// missing handles c, a member the index holds that the folder's listing
// lacks: it is looked at once more before it is recorded removed. A file
// renamed into the folder while it was listed, and journaled before the
// index was read (atomdav journals a new upload beside the folder's
// fsync, after the rename), is no removal: recording one made the event
// of that rename find the index wrong and rescan the folder again, during
// which the next uploads did the same, so a stream of uploads into a
// large folder kept it rescanned for ever.
func (s *scanner) missing(ctx context.Context, c storage.Change, deep bool, sub []subdir) []subdir {
	e, present := s.lookAgain(ctx, c.Path)
	if !present {
		s.removed(c)
		return sub
	}
	return s.compare(c, &e, deep, sub)
}

// lookAgain is the member p as list would read it now, present false if
// it is not there. A member reached through a symlink (or one on the way)
// is read as unknown: the index's view of it is kept, and the event of
// whatever made it brings another look.
func (s *scanner) lookAgain(ctx context.Context, p string) (e entry, present bool) {
	_, fi, err := s.fsys.RealStat(p)
	switch {
	case err == nil && fi != nil:
		return s.member(ctx, p, fs.FileInfoToDirEntry(fi))
	case err == nil:
		if _, err = s.fsys.Stat(ctx, p); err == nil {
			return entry{name: path.Base(p), unknown: true}, true
		}
	}
	if vanished(err) {
		return entry{}, false
	}
	return entry{name: path.Base(p), unknown: true}, true
}

// removed records that c, known to the index, is no longer on disk.
func (s *scanner) removed(c storage.Change) {
	s.record(storage.Change{Path: c.Path, Kind: storage.ChangeRemoved, Dir: c.Dir})
	if c.Dir && s.gone != nil {
		s.gone(c.Path)
	}
}

// same reports whether the index's view c still describes now. A
// folder's modification time is not compared: it moves with every member
// added or removed, which the members' own changes say (and the store
// moves the folder's ctag for them), and inotify tells the folder's
// parent nothing of it. It is recorded when the folder is.
func same(c, now storage.Change) bool {
	if c.Dir || now.Dir {
		return c.Dir == now.Dir && c.Inode == now.Inode
	}
	return c.Size == now.Size && c.MtimeNs == now.MtimeNs && c.Inode == now.Inode
}

// subdir is a folder to scan: its path (or, in a listing, name) and its
// inode, 0 when unknown.
type subdir struct {
	name string
	ino  uint64
}

func (s *scanner) count(e *entry) {
	if !e.dir {
		s.stats.Files++
	}
}

func (s *scanner) record(c storage.Change) {
	s.pending = append(s.pending, c)
	s.stats.Changes++
}

// flush records the pending changes in batches of s.batch while at least
// atLeast are pending.
func (s *scanner) flush(ctx context.Context, atLeast int) error {
	for len(s.pending) >= atLeast && len(s.pending) > 0 {
		n := min(len(s.pending), s.batch)
		if _, err := s.idx.RecordChanges(ctx, s.pending[:n]); err != nil {
			// The index did not move: the next scan finds the same
			// differences, so none is kept to be tried again.
			s.pending = s.pending[:0]
			return fmt.Errorf("watch: recording changes: %w", err)
		}
		s.pending = s.pending[:copy(s.pending, s.pending[n:])]
	}
	if len(s.pending) == 0 && cap(s.pending) > 4*s.batch {
		s.pending = nil // a large folder's changes are not kept for ever
	}
	return nil
}

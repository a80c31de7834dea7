package watch

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"syscall"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// entry is one member of a folder as the share serves it.
type entry struct {
	name    string
	dir     bool
	size    int64 // 0 for folders
	mtimeNs int64
	inode   uint64
	// walk is true for a folder the scan descends into: a real one, not
	// a symlink to one (that folder is scanned under its own name).
	walk bool
	// unknown is true when the member could not be read (a failed lstat
	// other than its absence): the index's view of it is kept.
	unknown bool
}

// change is e as the index's view of the path p.
func (e *entry) change(p string) storage.Change {
	return storage.Change{Path: p, Kind: storage.ChangeUpsert, Dir: e.dir, Size: e.size, MtimeNs: e.mtimeNs, Inode: e.inode}
}

// list reads the folder p of the share, in name order, as the share
// serves its members: the state folder and temp files left out, as are
// names a store path cannot hold and symlinks that lead out of the share
// or nowhere; a symlink inside it is the resource it leads to.
func (s *scanner) list(ctx context.Context, p string) ([]entry, error) {
	des, err := s.fsys.ReadDir(p)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		child := path.Join(p, de.Name())
		if s.fsys.IsHidden(child) || !storage.ValidPath(child) {
			continue
		}
		e, ok := s.member(ctx, child, de)
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// member is the entry of the folder member de, whose path is child; ok
// is false when the share does not serve it.
func (s *scanner) member(ctx context.Context, child string, de fs.DirEntry) (e entry, ok bool) {
	e.name = de.Name()
	symlink := de.Type()&fs.ModeSymlink != 0
	var fi fs.FileInfo
	var err error
	if symlink {
		fi, err = s.follow(ctx, child)
	} else {
		fi, err = de.Info()
	}
	switch {
	case err == nil:
	case symlink || vanished(err):
		return e, false
	default:
		e.unknown = true
		return e, true
	}
	e.dir = fi.IsDir()
	e.walk = e.dir && !symlink
	if !e.dir {
		e.size = fi.Size()
	}
	e.mtimeNs = fi.ModTime().UnixNano()
	if st, ok := localfs.StampOf(fi); ok {
		e.inode = st.Ino
	}
	return e, true
}

// follow stats what the symlink child leads to, within the share as
// localfs serves it: an error for a link that leads out of it, to a
// reserved name, or nowhere (dangling, or a loop of links).
func (s *scanner) follow(ctx context.Context, child string) (fs.FileInfo, error) {
	real, err := s.fsys.Real(child, true)
	if err != nil {
		return nil, err
	}
	if s.fsys.IsHidden(real) {
		return nil, localfs.ErrHidden
	}
	return s.fsys.Stat(ctx, real)
}

// vanished reports whether err says a path is gone, or no longer a
// folder where one was expected.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

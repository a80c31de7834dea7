package localfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/net/webdav"

	"github.com/atomdav/atomdav/storage"
)

// ErrOutsideRoot is returned for a name that resolves (through a symlink)
// outside the root. It wraps fs.ErrPermission.
var ErrOutsideRoot = fmt.Errorf("localfs: path leads outside the root: %w", fs.ErrPermission)

// ErrHidden is returned for the state folder and everything in it. It wraps
// fs.ErrNotExist so the folder looks absent.
var ErrHidden = fmt.Errorf("localfs: reserved name: %w", fs.ErrNotExist)

// TempPrefix starts the name of every temp file an atomic write makes, so
// leftovers can be recognised and swept.
const TempPrefix = ".atomdav-tmp-"

// Options tune an FS. The zero value is the safe default.
type Options struct {
	// Hidden names a top-level entry of the root that is never listed nor
	// reachable (the state folder); empty for none.
	Hidden string
	// Relaxed skips fsync of content and folders (rename stays atomic).
	Relaxed bool
}

// FS is a webdav.FileSystem rooted at a local directory whose dead
// properties live in a storage.Store. It is safe for concurrent use;
// serialising conflicting requests on the same path is the caller's job.
type FS struct {
	root  string // absolute, symlinks evaluated
	store storage.Store
	opts  Options
	dirs  dirSyncer // fsyncs of folders, shared by concurrent callers
	// removeAll is os.RemoveAll (nil too); tests race it (removeTree).
	removeAll func(string) error
}

var _ webdav.FileSystem = (*FS)(nil)

// New returns an FS serving root. root must be an existing directory.
func New(root string, store storage.Store, opts Options) (*FS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("localfs: %s is not a directory", root)
	}
	return &FS{root: real, store: store, opts: opts, removeAll: os.RemoveAll}, nil
}

// Root returns the absolute path of the served directory.
func (f *FS) Root() string { return f.root }

// IsHidden reports whether the clean slash path name is reserved: the state
// folder or inside it, or any name starting with TempPrefix (those are
// the server's temp files, swept at start-up). Both compare without regard
// to case: on a case-insensitive file system (macOS, Windows, a casefold
// folder, some network shares) "/.ATOMDAV/state.db" opens the state
// database, and ".ATOMDAV-TMP-x" someone's upload in progress.
func (f *FS) IsHidden(name string) bool {
	rest := strings.TrimPrefix(name, "/")
	if f.opts.Hidden != "" {
		first, _, _ := strings.Cut(rest, "/")
		if strings.EqualFold(first, f.opts.Hidden) {
			return true
		}
	}
	for rest != "" {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if isTemp(seg) {
			return true
		}
	}
	return false
}

// Mkdir creates a collection.
func (f *FS) Mkdir(ctx context.Context, name string, perm os.FileMode) error {
	local, err := f.Resolve(name)
	if err != nil {
		return err
	}
	if err := os.Mkdir(local, perm); err != nil {
		return err
	}
	return f.syncDir(filepath.Dir(local))
}

// OpenFile opens a file or directory. Files opened for writing are written
// in place; servers wanting atomic replacement use NewUpload.
func (f *FS) OpenFile(ctx context.Context, name string, flag int, perm os.FileMode) (webdav.File, error) {
	local, err := f.Resolve(name)
	if err != nil {
		return nil, err
	}
	file, err := os.OpenFile(local, flag, perm)
	if err != nil {
		return nil, err
	}
	if f.opts.Hidden != "" && path.Clean("/"+name) == "/" {
		return &rootDir{File: file, hidden: f.opts.Hidden}, nil
	}
	return file, nil
}

// Stat describes a resource.
func (f *FS) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	local, lk, err := f.resolve(name)
	if err != nil {
		return nil, err
	}
	switch {
	case lk.fi != nil:
		return lk.fi, nil // not a symlink: its Lstat is its Stat
	case lk.absent != nil:
		return nil, &fs.PathError{Op: "stat", Path: local, Err: lk.absent}
	}
	return os.Stat(local)
}

// RemoveAll deletes a resource and its properties (and, for a collection,
// everything under it). An intent recorded first lets a crash part-way be
// rolled forward at start-up (Recover), so properties never outlive their
// resource and a new resource at the same path never inherits them.
func (f *FS) RemoveAll(ctx context.Context, name string) error {
	local, err := f.Resolve(name)
	if err != nil {
		return err
	}
	if local == f.root {
		return fs.ErrPermission
	}
	if f.bare(ctx, local, name) {
		if err := f.journal(ctx, storage.Intent{Op: storage.OpDelete, Src: path.Clean("/" + name)}, local); err != nil {
			return err
		}
		if err := os.Remove(local); err != nil {
			return err
		}
		return f.syncDir(filepath.Dir(local))
	}
	in, err := f.store.BeginIntent(ctx, storage.Intent{Op: storage.OpDelete, Src: path.Clean("/" + name)})
	if err != nil {
		return err
	}
	err = f.removeTree(local)
	if err == nil {
		err = f.syncDir(filepath.Dir(local))
	}
	// Complete even on failure: members may be gone already, and an intent
	// left pending would be rolled forward at the next start over whatever
	// the tree holds then. Members that survive a failed DELETE lose their
	// properties rather than leave orphans a new resource could inherit.
	return errors.Join(err, f.store.CompleteIntent(context.WithoutCancel(ctx), in.ID))
}

// removeTries bounds the attempts of removeTree.
const removeTries = 5

// removeTree removes the local path and everything under it. Another
// instance sharing the folder (whose path locks are its own) may create an
// upload's temp file, or a file, in a folder being emptied, so the final
// rmdir fails with ENOTEMPTY: the removal is tried again, taking what
// appeared with the rest, up to removeTries times. The other upload's
// commit then finds its folder gone (ErrParentChanged).
func (f *FS) removeTree(local string) error {
	rm := f.removeAll
	if rm == nil {
		rm = os.RemoveAll
	}
	var err error
	for range removeTries {
		err = rm(local)
		if !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
			return err
		}
	}
	return err
}

// Rename moves a resource with its properties, under an intent (see
// Recover). An existing destination file
// is replaced by the one rename; an existing destination collection must be
// removed by the caller first (os.Rename refuses to replace a non-empty one).
func (f *FS) Rename(ctx context.Context, oldName, newName string) error {
	src, err := f.Resolve(oldName)
	if err != nil {
		return err
	}
	dst, err := f.Resolve(newName)
	if err != nil {
		return err
	}
	if src == f.root || dst == f.root {
		return fs.ErrPermission
	}
	if f.bare(ctx, src, oldName) && f.bare(ctx, dst, newName) {
		if err := f.journal(ctx, storage.Intent{Op: storage.OpMove, Src: path.Clean("/" + oldName), Dst: path.Clean("/" + newName)}, src); err != nil {
			return err
		}
		if err := os.Rename(src, dst); err != nil {
			return err
		}
		err := f.syncDir(filepath.Dir(dst))
		if err == nil && filepath.Dir(src) != filepath.Dir(dst) {
			err = f.syncDir(filepath.Dir(src))
		}
		return err
	}
	in, err := f.store.BeginIntent(ctx, storage.Intent{Op: storage.OpMove, Src: path.Clean("/" + oldName), Dst: path.Clean("/" + newName)})
	if err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return errors.Join(err, f.store.AbortIntent(context.WithoutCancel(ctx), in.ID))
	}
	err = f.syncDir(filepath.Dir(dst))
	if err == nil && filepath.Dir(src) != filepath.Dir(dst) {
		err = f.syncDir(filepath.Dir(src))
	}
	// The rename happened: the properties follow whatever else fails.
	return errors.Join(err, f.store.CompleteIntent(context.WithoutCancel(ctx), in.ID))
}

// journal records, before a bare change of the tree (no intent), the
// change it is about to make in the store's journal if it keeps one: a
// crash after it leaves a spurious entry, never a change missing from the
// journal. A bare resource is never a collection; localSrc is the source's
// local path, whose stamp a rename keeps.
func (f *FS) journal(ctx context.Context, in storage.Intent, localSrc string) error {
	j, ok := f.store.(storage.Journal)
	if !ok {
		return nil
	}
	changes := storage.IntentChanges(in, false)
	if in.Op == storage.OpMove { // the rename keeps the file's stamp: the index learns it
		if fi, err := os.Lstat(localSrc); err == nil {
			if st, ok := StampOf(fi); ok {
				changes[1].Size, changes[1].MtimeNs, changes[1].Inode = st.Size, st.Mtime, st.Ino
			}
		}
	}
	_, err := j.RecordChanges(ctx, changes)
	return err
}

// bare reports whether the resource name (at local) is not a collection
// and has nothing in a store this process owns alone (storage.Exclusive),
// or does not exist there at all. Removing or renaming such a resource is
// one unlink or rename of the tree with nothing in the store to follow it:
// consistent at every instant, so it needs no intent and its two durable
// store commits. Sync clients mostly move and delete plain files with no
// dead properties. Callers hold the path locks of the names, which keeps
// the answer true until their change is made.
func (f *FS) bare(ctx context.Context, local, name string) bool {
	if ex, ok := f.store.(storage.Exclusive); !ok || !ex.Exclusive() {
		return false
	}
	fi, err := os.Lstat(local)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Nothing in the tree; the store may still hold orphans (a file
		// removed behind the server's back), which an intent would drop.
	case err != nil || fi.IsDir():
		return false
	}
	props, err := f.store.Props(ctx, path.Clean("/"+name))
	return err == nil && len(props) == 0
}

// rootDir hides the state folder from listings of the root.
type rootDir struct {
	*os.File
	hidden string
}

// Readdir lists the root without the state folder.
func (d *rootDir) Readdir(n int) ([]os.FileInfo, error) {
	fis, err := d.File.Readdir(n)
	out := fis[:0]
	for _, fi := range fis {
		if !strings.EqualFold(fi.Name(), d.hidden) {
			out = append(out, fi)
		}
	}
	return out, err
}

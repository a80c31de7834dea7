package localfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ErrIsDir is returned when a file write targets a collection.
var ErrIsDir = errors.New("localfs: is a collection")

// ErrParentChanged is returned by Upload.Commit when the target's folder
// was moved, removed or replaced while the content was being received, so
// the upload has no folder to land in. It wraps fs.ErrNotExist (a missing
// parent collection: 409, RFC 4918 §9.7.1).
var ErrParentChanged = fmt.Errorf("localfs: the parent collection was moved, removed or replaced during the upload: %w", fs.ErrNotExist)

// Upload is an atomic replacement of one file under way: the content goes
// to a temp file beside the target, and only Commit makes it visible, in
// one rename. Until then, and after Abort, the old content stays as it was.
//
// An Upload holds its folder open rather than by name, so the caller need
// hold no path lock while the content arrives: when the folder is moved
// or removed meanwhile, Commit fails with ErrParentChanged and the temp
// file is removed wherever the folder went (a removal already took it).
// The temp file's name is hidden (TempPrefix): never listed, copied or
// reachable, and swept at start-up if a crash left it (SweepTemp).
// An Upload is not safe for concurrent use.
type Upload struct {
	fs    *FS
	local string
	dir   *os.Root // the target's folder, followed wherever it goes
	name  string   // the temp file's name in dir
	tmp   *os.File
	// placed: the content is in place; nothing is left to abort.
	placed bool
}

// NewUpload starts an upload to name. It fails with fs.ErrNotExist when the
// parent collection is missing and ErrIsDir when name is a collection.
func (f *FS) NewUpload(name string) (*Upload, error) {
	local, lk, err := f.resolve(name)
	if err != nil {
		return nil, err
	}
	switch {
	case lk.fi != nil && lk.fi.IsDir():
		return nil, ErrIsDir
	case lk.absent != nil && lk.noParent:
		return nil, &fs.PathError{Op: "stat", Path: filepath.Dir(local), Err: lk.absent}
	case lk.fi == nil && lk.absent == nil: // the walk met a symlink: look again
		if err := checkUploadTarget(local); err != nil {
			return nil, err
		}
	}
	return f.newUpload(local)
}

// newUpload starts an atomic write of the local path local, whose folder
// must exist: a temp file beside it, in the folder held open.
func (f *FS) newUpload(local string) (*Upload, error) {
	dir, err := os.OpenRoot(filepath.Dir(local))
	if err != nil {
		return nil, absentBelowFile(err)
	}
	for range 100 {
		tname := TempPrefix + strconv.FormatUint(rand.Uint64(), 36)
		tmp, err := dir.OpenFile(tname, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			dir.Close()
			return nil, err
		}
		return &Upload{fs: f, local: local, dir: dir, name: tname, tmp: tmp}, nil
	}
	dir.Close()
	return nil, fmt.Errorf("localfs: no free temp name in %s", filepath.Dir(local))
}

// checkUploadTarget refuses a local target that is a collection or whose
// parent is not one.
func checkUploadTarget(local string) error {
	if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		return ErrIsDir
	}
	parent, err := os.Stat(filepath.Dir(local))
	if err != nil {
		return err
	}
	if !parent.IsDir() {
		return fs.ErrNotExist
	}
	return nil
}

// Write appends to the pending content.
func (u *Upload) Write(p []byte) (int, error) { return u.tmp.Write(p) }

// ReadFrom appends r to the pending content (io.Copy uses it).
func (u *Upload) ReadFrom(r io.Reader) (int64, error) {
	return u.tmp.ReadFrom(r)
}

// Commit makes the content durable and puts it in place with one rename,
// keeping the old file's permissions. It reports whether the file is new.
// It fails with ErrParentChanged when the target's folder is no longer the
// one the upload began in. After an error nothing has changed and the temp
// file is gone. The caller holds the target's path lock.
func (u *Upload) Commit() (created bool, err error) {
	return u.CommitWith(nil, nil)
}

// CommitWith is Commit that also runs before beside the content's fsync,
// and after beside the folder's: before must succeed before the rename
// (it records what the new content is, so a crash leaves the old file
// with a record that does not fit it, never the reverse), after runs
// once the rename is done (it may fail: the content is in place then,
// created and err both set). Either may be nil.
func (u *Upload) CommitWith(before, after func() error) (created bool, err error) {
	defer func() {
		if err != nil && !u.placed {
			u.Abort()
		}
	}()
	if err := u.checkParent(); err != nil {
		return false, err
	}
	perm := os.FileMode(0o644)
	fi, statErr := os.Stat(u.local)
	switch {
	case statErr == nil && fi.IsDir():
		return false, ErrIsDir
	case statErr == nil:
		perm = fi.Mode().Perm()
	case !errors.Is(statErr, fs.ErrNotExist):
		return false, statErr
	}
	if err := u.placeWith(perm, before); err != nil {
		return false, err
	}
	created = statErr != nil
	return created, beside(after, func() error { return u.fs.syncDir(filepath.Dir(u.local)) })
}

// Placed reports whether the content is in place (the rename was made),
// for a caller that must tell a failure before it from one after.
func (u *Upload) Placed() bool { return u.placed }

// beside runs side and then main, at once, and returns the first error
// (main's first); a nil side runs main alone.
func beside(side, main func() error) error {
	if side == nil {
		return main()
	}
	done := make(chan error, 1)
	go func() { done <- side() }()
	err := main()
	if serr := <-done; err == nil {
		err = serr
	}
	return err
}

// place gives the pending file its permissions, fsyncs it (unless
// relaxed) and renames it over the target: the one atomic replacement of
// content, shared by uploads and copies. The folder is not fsynced: an
// upload fsyncs it at once, a tree copy once per folder. After an error
// the caller aborts.
func (u *Upload) place(perm os.FileMode) error { return u.placeWith(perm, nil) }

// placeWith is place running before beside the fsync; both must succeed
// before the rename.
func (u *Upload) placeWith(perm os.FileMode, before func() error) error {
	if err := u.tmp.Chmod(perm); err != nil {
		return err
	}
	err := beside(before, func() error {
		if u.fs.opts.Relaxed {
			return nil
		}
		return u.tmp.Sync()
	})
	if err != nil {
		return err
	}
	if err := u.tmp.Close(); err != nil {
		return err
	}
	if err := u.dir.Rename(u.name, filepath.Base(u.local)); err != nil {
		return err
	}
	u.placed = true
	u.dir.Close() // the content is in place whatever this says
	return nil
}

// checkParent returns ErrParentChanged unless the folder at the target's
// parent path is the folder the upload holds.
func (u *Upload) checkParent() error {
	held, err := u.dir.Stat(".")
	if err != nil {
		return err
	}
	now, err := os.Stat(filepath.Dir(u.local))
	if err != nil || !os.SameFile(held, now) {
		return ErrParentChanged
	}
	return nil
}

// SetModTime gives the pending file its modification time (sync clients
// send the source's), so it is in place with the content's one rename.
func (u *Upload) SetModTime(t time.Time) error {
	return u.dir.Chtimes(u.name, time.Time{}, t)
}

// Abort discards the pending content, wherever its folder went.
func (u *Upload) Abort() {
	u.tmp.Close()
	u.dir.Remove(u.name) // gone already when the folder was removed
	u.dir.Close()
}

// syncDir makes a folder's entries (a rename, a new name) durable: when it
// returns nil, an fsync of dir that began after the call has succeeded.
// Concurrent calls for one folder share fsyncs (see dirSyncer).
func (f *FS) syncDir(dir string) error {
	if f.opts.Relaxed {
		return nil
	}
	return f.dirs.sync(dir)
}

// Chtimes gives the resource name the modification time mtime, leaving its
// access time alone, within the jail of Resolve (sync clients send a
// copied or moved file's source time).
func (f *FS) Chtimes(name string, mtime time.Time) error {
	local, err := f.Resolve(name)
	if err != nil {
		return err
	}
	return os.Chtimes(local, time.Time{}, mtime)
}

// ReadAt reads the pending content written so far (the hashes that
// trail an upload's write read it back).
func (u *Upload) ReadAt(p []byte, off int64) (int, error) { return u.tmp.ReadAt(p, off) }

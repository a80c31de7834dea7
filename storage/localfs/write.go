package localfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrIsDir is returned when a file write targets a collection.
var ErrIsDir = errors.New("localfs: is a collection")

// Upload is an atomic replacement of one file under way: the content goes
// to a temp file beside the target, and only Commit makes it visible, in
// one rename. Until then, and after Abort, the old content stays as it was.
// An Upload is not safe for concurrent use.
type Upload struct {
	fs    *FS
	local string
	tmp   *os.File
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
	tmp, err := os.CreateTemp(filepath.Dir(local), TempPrefix+"*")
	if err != nil {
		return nil, err
	}
	return &Upload{fs: f, local: local, tmp: tmp}, nil
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
// After an error nothing has changed and the temp file is gone.
func (u *Upload) Commit() (created bool, err error) {
	defer func() {
		if err != nil {
			u.Abort()
		}
	}()
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
	if err := u.finish(perm); err != nil {
		return false, err
	}
	if err := os.Rename(u.tmp.Name(), u.local); err != nil {
		return false, err
	}
	return statErr != nil, u.fs.syncDir(filepath.Dir(u.local))
}

// SetModTime gives the pending file its modification time (sync clients
// send the source's), so it is in place with the content's one rename.
func (u *Upload) SetModTime(t time.Time) error {
	return os.Chtimes(u.tmp.Name(), time.Time{}, t)
}

// Abort discards the pending content.
func (u *Upload) Abort() {
	u.tmp.Close()
	os.Remove(u.tmp.Name())
}

func (u *Upload) finish(perm os.FileMode) error {
	if err := u.tmp.Chmod(perm); err != nil {
		return err
	}
	if !u.fs.opts.Relaxed {
		if err := u.tmp.Sync(); err != nil {
			return err
		}
	}
	return u.tmp.Close()
}

// writeAtomic runs fill on a temp file beside local, then fsyncs it, renames
// it over local and fsyncs the folder. The temp file is removed on failure.
func (f *FS) writeAtomic(local string, perm os.FileMode, fill func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(local), TempPrefix+"*")
	if err != nil {
		return err
	}
	u := &Upload{fs: f, local: local, tmp: tmp}
	if err := fill(tmp); err != nil {
		u.Abort()
		return err
	}
	if err := u.finish(perm); err != nil {
		u.Abort()
		return err
	}
	if err := os.Rename(tmp.Name(), local); err != nil {
		u.Abort()
		return err
	}
	return nil
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

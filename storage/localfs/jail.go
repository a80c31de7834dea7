package localfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrNotDir is returned for a name below a file ("/file/x"). No such
// resource exists, so it wraps fs.ErrNotExist (GET answers 404, PUT and
// MKCOL 409 for the missing parent collection), and syscall.ENOTDIR for
// callers that tell the two apart.
var ErrNotDir = fmt.Errorf("localfs: a file is used as a folder: %w (%w)", fs.ErrNotExist, syscall.ENOTDIR)

// absentBelowFile returns ErrNotDir for an ENOTDIR error, else err.
func absentBelowFile(err error) error {
	if errors.Is(err, syscall.ENOTDIR) {
		return ErrNotDir
	}
	return err
}

// Resolve maps a slash path to its local path, refusing the state folder,
// names with NUL and symlinks that lead outside the root. The name need not
// exist; its deepest existing ancestor is checked instead.
func (f *FS) Resolve(name string) (string, error) {
	local, _, err := f.resolve(name)
	return local, err
}

// lookup is what the jail learnt about a name on its way down to it. The
// zero value says nothing: the name is the root, or the walk met a symlink
// and left the check to EvalSymlinks.
type lookup struct {
	fi       fs.FileInfo // the name's Lstat: it exists and is not a symlink
	absent   error       // the name does not exist: the errno of the Lstat that said so
	noParent bool        // with absent: a folder above the name is missing too
}

// Open opens the resource name for reading, within the jail of Resolve.
// Where no symlink lies on the way (the usual case) the kernel enforces
// that while opening, in one system call rather than one per path
// component (see openNoSymlinks); otherwise it is Resolve, then os.Open.
// The file is opened with O_NONBLOCK, which regular files and folders
// ignore, so a FIFO left in the share does not hold the open until a
// writer comes. Unlike OpenFile it returns the *os.File itself, so a
// listing of the root through it shows the state folder: list with
// OpenFile.
func (f *FS) Open(name string) (*os.File, error) {
	local, err := f.localName(name)
	if err != nil {
		return nil, err
	}
	if file, decided, err := openNoSymlinks(local); decided {
		return file, absentBelowFile(err)
	}
	return f.openResolved(name)
}

// File is a resource opened for reading by OpenReal. On Linux it also
// has SyscallConn, so that net/http sends it with sendfile; it is not safe
// for concurrent use.
type File interface {
	io.ReadSeekCloser
	Stat() (fs.FileInfo, error)
}

// OpenReal is Open, also returning the resource's Real name (see Real):
// name itself (cleaned) when the kernel opened it with no symlink on the
// way, which costs nothing more than Open; otherwise the Real name, which
// is what it opens. On Linux the file is a bare descriptor (rawFile)
// rather than an *os.File, which costs an fcntl, an epoll_ctl and a
// finalizer fewer to set up.
func (f *FS) OpenReal(name string) (File, string, error) {
	local, err := f.localName(name)
	if err != nil {
		return nil, "", err
	}
	if file, decided, err := openFileNoSymlinks(local); decided {
		if err != nil {
			return nil, "", absentBelowFile(err)
		}
		name, _ = cleanName(name) // localName accepted it
		return file, name, nil
	}
	real, err := f.Real(name, true)
	if err != nil {
		return nil, "", err
	}
	file, err := f.openResolved(real)
	if err != nil {
		return nil, "", err
	}
	return file, real, nil
}

// openResolved is Open without the kernel's help.
func (f *FS) openResolved(name string) (*os.File, error) {
	local, err := f.Resolve(name)
	if err != nil {
		return nil, err
	}
	file, err := os.OpenFile(local, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	return file, absentBelowFile(err)
}

// localName is the local path of the slash path name, refusing what is
// refused by name alone: NUL and the reserved names. It lies inside the
// root unless a symlink on the way leads out.
func (f *FS) localName(name string) (string, error) {
	name, err := cleanName(name)
	if err != nil {
		return "", err
	}
	if f.IsHidden(name) {
		return "", ErrHidden
	}
	return f.join(name), nil
}

// cleanName is the slash path name rooted and cleaned, refusing NUL.
func cleanName(name string) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", fs.ErrInvalid
	}
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	return path.Clean(name), nil // no copy when clean already, as handlers pass it
}

// join is filepath.Join(f.root, name) for a clean slash path, without
// cleaning both again.
func (f *FS) join(name string) string {
	rel := filepath.FromSlash(name)
	switch {
	case name == "/":
		return f.root
	case os.IsPathSeparator(f.root[len(f.root)-1]): // "/" itself
		return f.root + rel[1:]
	}
	return f.root + rel
}

// resolve is Resolve, also returning what the walk learnt of the name.
func (f *FS) resolve(name string) (string, lookup, error) {
	local, err := f.localName(name)
	if err != nil {
		return "", lookup{}, err
	}
	lk, err := f.walk(local)
	if err != nil {
		return "", lookup{}, err
	}
	return local, lk, nil
}

// walk lstats the components of local below the root, whose own symlinks
// New evaluated, one by one. Without symlinks on the way the name is
// inside: a missing component means the rest is absent too, and the
// deepest existing ancestor is a folder of the root. A symlink hands the
// whole path to checkInside. Errors are those EvalSymlinks gives.
func (f *FS) walk(local string) (lookup, error) {
	for i := len(f.root); i < len(local); {
		if local[i] == filepath.Separator {
			i++ // the root "/" already ends in one
		}
		end := strings.IndexByte(local[i:], filepath.Separator)
		if end < 0 {
			end = len(local)
		} else {
			end += i
		}
		fi, err := os.Lstat(local[:end])
		last := end == len(local)
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pe):
			return lookup{absent: pe.Err, noParent: !last}, nil
		case err != nil:
			return lookup{}, absentBelowFile(err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return lookup{}, absentBelowFile(f.checkInside(local))
		case last:
			return lookup{fi: fi}, nil
		case !fi.IsDir():
			return lookup{}, ErrNotDir
		}
		i = end
	}
	return lookup{}, nil // the root itself
}

// checkInside evaluates symlinks on the deepest existing prefix of local
// and refuses it when that leaves the root or reaches the state folder. A
// dangling symlink just below that prefix has its target checked the same
// way: creating the name would create the target, wherever it lies.
func (f *FS) checkInside(local string) error {
	return f.checkInsideFollowing(local, 0)
}

// maxDanglingHops bounds the chain of dangling symlinks checkInside
// follows, as the kernel bounds symlink chains (ELOOP).
const maxDanglingHops = 40

func (f *FS) checkInsideFollowing(local string, hops int) error {
	probe, child := local, ""
	for {
		real, err := filepath.EvalSymlinks(probe)
		if err == nil {
			if real != f.root && !strings.HasPrefix(real, f.root+string(filepath.Separator)) {
				return ErrOutsideRoot
			}
			if f.opts.Hidden != "" {
				if h := filepath.Join(f.root, f.opts.Hidden); real == h || strings.HasPrefix(real, h+string(filepath.Separator)) {
					return ErrHidden // a symlink to the state folder
				}
			}
			if child == "" {
				return nil
			}
			// child is missing although its folder resolves, unless it is
			// a dangling symlink: then its target is what counts.
			target, err := os.Readlink(child)
			if err != nil {
				return nil // absent (or not a symlink after all)
			}
			if hops >= maxDanglingHops {
				return ErrOutsideRoot
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(real, target)
			}
			return f.checkInsideFollowing(target+local[len(child):], hops+1)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return ErrOutsideRoot // nothing resolves, not even "/"
		}
		probe, child = parent, probe
	}
}

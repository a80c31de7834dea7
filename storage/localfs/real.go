package localfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Real returns the name by which the resource at the slash path name lies
// in the share: the symlinks of its folders resolved, and its last
// component's too when followLast (a dangling one is followed to its
// target, which creating the name would create). One resource reached
// through several names (alink/x and a/x when alink -> a) thus has one
// Real name, which is what locks and properties must be keyed by. A name
// that resolves outside the root is refused with ErrOutsideRoot, as the
// jail refuses it. Reserved names are not refused: callers check IsHidden
// on the answer.
//
// A name with no symlink on the way, the usual case, is returned as it
// came (cleaned) after one open that the kernel refuses at the first
// symlink (see noSymlinks); only a name with one pays for the full
// evaluation.
func (f *FS) Real(name string, followLast bool) (string, error) {
	name, err := cleanName(name)
	if err != nil {
		return "", err
	}
	local := f.join(name)
	if noSymlinks(local, followLast) {
		return name, nil
	}
	real, err := f.realLocal(local, followLast)
	if err != nil {
		return "", err
	}
	rel, ok := f.inside(real)
	if !ok {
		return "", ErrOutsideRoot
	}
	return rel, nil
}

// RealStat is Real(name, true) and, where it comes at no extra walk, the
// Stat of that Real name: fi is nil when it did not (a symlink on the
// way, a missing name, no openat2), and the caller calls Stat. Where no
// symlink lies on the way it is one openat2 that the kernel refuses at
// the first symlink, an fstat of what it opened and a close: three system
// calls whatever the depth, where Real then Stat made two and one lstat
// per component, and the kernel looked the path up twice.
func (f *FS) RealStat(name string) (string, fs.FileInfo, error) {
	name, err := cleanName(name)
	if err != nil {
		return "", nil, err
	}
	local := f.join(name)
	if fi, ok := statNoSymlinks(local); ok {
		return name, fi, nil
	}
	real, err := f.Real(name, true)
	return real, nil, err
}

// inside is the slash path of the local path real (symlinks evaluated)
// relative to the root, and whether it lies in the root at all.
func (f *FS) inside(real string) (string, bool) {
	switch {
	case real == f.root:
		return "/", true
	case f.root == string(filepath.Separator):
		return filepath.ToSlash(real), true
	case strings.HasPrefix(real, f.root+string(filepath.Separator)):
		return filepath.ToSlash(real[len(f.root):]), true
	}
	return "", false
}

// realLocal is the local path local with symlinks resolved as Real
// resolves them; its missing components are kept as they are.
func (f *FS) realLocal(local string, followLast bool) (string, error) {
	if followLast {
		return realFollowing(local, 0)
	}
	if local == f.root {
		return local, nil
	}
	dir, err := realFollowing(filepath.Dir(local), 0)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(local)), nil
}

// realFollowing evaluates the symlinks of the deepest existing prefix of
// local and appends the rest; a dangling symlink just below that prefix
// is followed to its target, as checkInside follows it.
func realFollowing(local string, hops int) (string, error) {
	probe, child := local, ""
	for {
		real, err := filepath.EvalSymlinks(probe)
		if err == nil {
			if child != "" {
				if target, err := os.Readlink(child); err == nil {
					if hops >= maxDanglingHops {
						return "", &fs.PathError{Op: "resolve", Path: local, Err: syscall.ELOOP}
					}
					if !filepath.IsAbs(target) {
						target = real + string(filepath.Separator) + target
					}
					return realFollowing(target+local[len(child):], hops+1)
				}
			}
			return filepath.Clean(real + string(filepath.Separator) + local[len(probe):]), nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", err
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return local, nil // nothing resolves, not even "/"
		}
		probe, child = parent, probe
	}
}

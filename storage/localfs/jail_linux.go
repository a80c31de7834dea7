package localfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noOpenat2 is set once the kernel (before 5.6) or a seccomp filter has
// refused openat2.
var noOpenat2 atomic.Bool

// openNoSymlinks opens local as Open does, with openat2 and RESOLVE_NO_SYMLINKS:
// the kernel refuses a symlink anywhere on the path, and the root's own
// path has none (New evaluated them), so what opens is the name itself,
// inside the root. decided is false when the jail needs the full check: a
// symlink on the way, or no openat2.
func openNoSymlinks(local string) (file *os.File, decided bool, err error) {
	fd, decided, err := openat2NoSymlinks(local)
	if !decided || err != nil {
		return nil, decided, err
	}
	return os.NewFile(uintptr(fd), local), true, nil
}

// openat2NoSymlinks is openNoSymlinks giving the bare descriptor.
func openat2NoSymlinks(local string) (fd int, decided bool, err error) {
	if noOpenat2.Load() {
		return -1, false, nil
	}
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK, Resolve: unix.RESOLVE_NO_SYMLINKS}
	for {
		fd, err := unix.Openat2(unix.AT_FDCWD, local, &how)
		switch err {
		case nil:
			return fd, true, nil
		case unix.EINTR:
			continue
		case unix.ENOSYS:
			noOpenat2.Store(true)
			return -1, false, nil
		case unix.ELOOP, unix.EXDEV, unix.EAGAIN, unix.EPERM, unix.E2BIG, unix.EINVAL:
			return -1, false, nil // a symlink, or openat2 refused: check in full
		}
		return -1, true, &fs.PathError{Op: "open", Path: local, Err: err}
	}
}

// noSymlinks reports whether no symlink lies on the way to local (nor is
// its last component, when followLast), in one openat2 that the kernel
// refuses at the first symlink (RESOLVE_NO_SYMLINKS; with O_NOFOLLOW a
// symlink as last component opens itself). A missing component ends the
// walk before any symlink: nothing below it exists to resolve. false also
// when openat2 is missing or refused: Real then evaluates in full.
func noSymlinks(local string, followLast bool) bool {
	if noOpenat2.Load() {
		return false
	}
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	if !followLast {
		how.Flags |= unix.O_NOFOLLOW
	}
	for {
		fd, err := unix.Openat2(unix.AT_FDCWD, local, &how)
		switch err {
		case nil:
			unix.Close(fd)
			return true
		case unix.EINTR:
			continue
		case unix.ENOENT, unix.ENOTDIR:
			return true
		case unix.ENOSYS:
			noOpenat2.Store(true)
		}
		return false
	}
}

// statNoSymlinks is the Stat of local when no symlink lies on the way to
// it (nor is it one), from one openat2 with RESOLVE_NO_SYMLINKS and
// O_PATH (which opens without reading or blocking, a FIFO too) and an
// fstat of the descriptor, so the kernel checks and stats one and the
// same file. ok is false otherwise (a symlink, a missing name, no
// openat2, a failed fstat): the caller takes the full way.
func statNoSymlinks(local string) (fi fs.FileInfo, ok bool) {
	if noOpenat2.Load() {
		return nil, false
	}
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	for {
		fd, err := unix.Openat2(unix.AT_FDCWD, local, &how)
		switch err {
		case nil:
			defer unix.Close(fd)
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err != nil {
				return nil, false
			}
			d := &dirInfo{}
			d.fill(filepath.Base(local), &st)
			return d, true
		case unix.EINTR:
			continue
		case unix.ENOSYS:
			noOpenat2.Store(true)
		}
		return nil, false
	}
}

package localfs

import (
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// readDir is os.ReadDir of the folder local, sorted by name, with every
// member's lstat made while the folder is open: fstatat relative to its
// descriptor, so the kernel looks up one name per member rather than the
// member's whole path, and the Info of each entry is ready (no further
// system call). The infos are compact (dirInfo) and share one allocation,
// so a folder of many members costs about what os.ReadDir's entries did.
func readDir(local string) ([]fs.DirEntry, error) {
	dir, err := os.Open(local)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	rc, err := dir.SyscallConn()
	if err != nil {
		return nil, err
	}
	infos := make([]dirInfo, len(names))
	entries := make([]fs.DirEntry, len(names))
	err = rc.Control(func(fd uintptr) {
		for i, name := range names {
			infos[i].lstatAt(int(fd), local, name)
			entries[i] = &infos[i]
		}
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// dirInfo is one member listed by readDir: its fs.DirEntry and, unless
// err says it vanished before its lstat, its fs.FileInfo; and the
// FileInfo of statNoSymlinks.
type dirInfo struct {
	name      string
	size      int64
	sec, nsec int64 // modification time
	dev, ino  uint64
	mode      fs.FileMode
	rawMode   uint32 // st_mode
	err       error
}

// lstatAt fills d with the lstat of name in the folder open as dirfd
// (local, for errors).
func (d *dirInfo) lstatAt(dirfd int, local, name string) {
	d.name = name
	var st unix.Stat_t
	var err error
	for {
		if err = unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		d.err = &fs.PathError{Op: "lstat", Path: local + string(os.PathSeparator) + name, Err: err}
		return
	}
	d.fill(name, &st)
}

// fill sets d from the stat st of the file named name.
func (d *dirInfo) fill(name string, st *unix.Stat_t) {
	d.name = name
	d.size = int64(st.Size) // the field types differ between systems
	d.sec, d.nsec = st.Mtim.Unix()
	d.dev, d.ino = uint64(st.Dev), uint64(st.Ino)
	d.rawMode = uint32(st.Mode)
	d.mode = fileMode(d.rawMode)
}

// fileMode is the fs.FileMode of a stat mode, as os.Lstat makes it.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

func (d *dirInfo) Name() string               { return d.name }
func (d *dirInfo) IsDir() bool                { return d.mode.IsDir() }
func (d *dirInfo) Type() fs.FileMode          { return d.mode.Type() }
func (d *dirInfo) Size() int64                { return d.size }
func (d *dirInfo) Mode() fs.FileMode          { return d.mode }
func (d *dirInfo) ModTime() time.Time         { return time.Unix(d.sec, d.nsec) }
func (d *dirInfo) String() string             { return fs.FormatDirEntry(d) }
func (d *dirInfo) Info() (fs.FileInfo, error) { return d.infoOrErr() }

// infoOrErr is d as a FileInfo, or the error of its lstat.
func (d *dirInfo) infoOrErr() (fs.FileInfo, error) {
	if d.err != nil {
		return nil, d.err
	}
	return d, nil
}

// Sys is a *syscall.Stat_t holding what the package's callers read of
// one (StampOf, stateOf): Dev, Ino, Mode, Size and Mtim; its other
// fields are zero, as the compact dirInfo does not keep them.
func (d *dirInfo) Sys() any {
	st := &syscall.Stat_t{Mtim: syscall.NsecToTimespec(d.sec*1e9 + d.nsec)}
	setInt(&st.Dev, d.dev)
	setInt(&st.Ino, d.ino)
	setInt(&st.Mode, uint64(d.rawMode))
	setInt(&st.Size, uint64(d.size))
	return st
}

// setInt stores v in a stat field, whose type differs between systems.
func setInt[T ~int32 | ~int64 | ~uint32 | ~uint64](dst *T, v uint64) { *dst = T(v) }

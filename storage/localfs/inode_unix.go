//go:build !windows

package localfs

import (
	"io/fs"
	"syscall"
)

// inodeOf returns the device and inode numbers stat gave for fi; ok is
// false when fi carries none.
func inodeOf(fi fs.FileInfo) (dev, ino uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(st.Dev), uint64(st.Ino), true // int32 on some systems
}

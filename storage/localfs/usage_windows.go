package localfs

import (
	"io/fs"

	"golang.org/x/sys/windows"
)

// Usage reports the space of the volume holding the root, in bytes: what
// is still available to this process's user, and what is in use (RFC
// 4331's quota-available-bytes and quota-used-bytes of a share).
func (f *FS) Usage() (avail, used uint64, err error) {
	root, err := windows.UTF16PtrFromString(f.root)
	if err != nil {
		return 0, 0, &fs.PathError{Op: "GetDiskFreeSpaceEx", Path: f.root, Err: err}
	}
	var total, free uint64
	if err := windows.GetDiskFreeSpaceEx(root, &avail, &total, &free); err != nil {
		return 0, 0, &fs.PathError{Op: "GetDiskFreeSpaceEx", Path: f.root, Err: err}
	}
	return avail, total - free, nil
}

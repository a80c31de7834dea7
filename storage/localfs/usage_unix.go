//go:build !windows

package localfs

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// Usage reports the space of the file system holding the root, in bytes:
// what is still available to this process's user, and what is in use
// (RFC 4331's quota-available-bytes and quota-used-bytes of a share).
func (f *FS) Usage() (avail, used uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(f.root, &st); err != nil {
		return 0, 0, &fs.PathError{Op: "statfs", Path: f.root, Err: err}
	}
	bsize := uint64(st.Bsize)
	return st.Bavail * bsize, (st.Blocks - st.Bfree) * bsize, nil
}

package localfs

import "io/fs"

// inodeOf reports no inode on Windows, whose os.FileInfo carries none:
// records that need one (checksums, the stamp of a live property change)
// are not kept there.
func inodeOf(fs.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }

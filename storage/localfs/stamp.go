package localfs

import (
	"io/fs"
)

// Stamp identifies one version of a file's content as stat sees it: its
// inode, size and modification time. A record made for a content (its
// checksums, say) holds only while the file's stamp is the one recorded:
// a write through atomdav replaces the inode, and a write behind its back
// changes the size or the modification time (unless it restores both, which
// no stamp can see: the change time cannot be used, as the rename that
// puts an upload in place, and every MOVE, changes it).
type Stamp struct {
	Ino   uint64
	Size  int64
	Mtime int64 // nanoseconds since 1970
}

// StampOf reads fi's stamp; ok is false when fi carries no inode (a file
// system or platform without one).
func StampOf(fi fs.FileInfo) (st Stamp, ok bool) {
	_, ino, ok := inodeOf(fi)
	if !ok {
		return Stamp{}, false
	}
	return Stamp{Ino: ino, Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}, true
}

// Stamp is the stamp of the pending content as it is now (after
// SetModTime): the rename that commits it keeps the inode, size and
// modification time, so it is the stamp the file will have.
func (u *Upload) Stamp() (Stamp, error) {
	fi, err := u.tmp.Stat()
	if err != nil {
		return Stamp{}, err
	}
	st, ok := StampOf(fi)
	if !ok {
		return Stamp{}, ErrNoStamp
	}
	return st, nil
}

// ErrNoStamp is returned by Upload.Stamp where files carry no inode.
var ErrNoStamp = fs.ErrInvalid

package localfs

import (
	"io/fs"
)

// ReadDir lists the members of the collection name, within the jail of
// Resolve, sorted by name. The list holds every entry of the folder, the
// reserved ones too (the state folder in the root, temp files): callers
// that show it leave out what IsHidden reports. A symlink member is
// listed as one (DirEntry.Type); Stat follows it within the jail.
//
// On Linux every member is lstat'ed while the folder is read, relative
// to the folder's descriptor (readDirStat): a PROPFIND or a listing
// needs each member's Info, and a stat by full path walked the whole
// path again for each.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	local, err := f.Resolve(name)
	if err != nil {
		return nil, err
	}
	return readDir(local)
}

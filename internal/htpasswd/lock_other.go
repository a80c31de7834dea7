//go:build !unix

package htpasswd

import (
	"io/fs"
	"os"
)

// lockFile creates path and takes no lock: concurrent edits on this
// platform may lose one another (documented in the README).
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}

// keepOwner does nothing where files have no Unix owner.
func keepOwner(*os.File, fs.FileInfo) {}

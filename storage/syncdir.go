//go:build !windows

package storage

import "os"

// SyncDir fsyncs the folder dir, making the names created, renamed or
// removed in it durable: without it, a power cut may lose a file just
// created (a store's database) or undo a rename that put new content in
// place. It is the one folder fsync of the module; storage/localfs shares
// its calls between concurrent writers, and the stores call it for their
// own files.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

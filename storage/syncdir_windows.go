package storage

// SyncDir does nothing on Windows, which cannot flush a folder: a
// directory handle opened for reading refuses FlushFileBuffers, and NTFS
// journals names itself. Names created or renamed just before a power cut
// may be lost there; a crash of atomdav alone loses nothing.
func SyncDir(dir string) error { return nil }

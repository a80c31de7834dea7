//go:build !linux

package localfs

import (
	"io/fs"
	"os"
)

// openNoSymlinks leaves the jail to the full check where openat2 is missing.
func openNoSymlinks(string) (*os.File, bool, error) { return nil, false, nil }

// noSymlinks leaves Real to the full evaluation where openat2 is missing.
func noSymlinks(string, bool) bool { return false }

// readDir is os.ReadDir where fstatat is not used (see read_linux.go).
func readDir(local string) ([]fs.DirEntry, error) { return os.ReadDir(local) }

// statNoSymlinks leaves RealStat to Real and Stat where openat2 is missing.
func statNoSymlinks(string) (fs.FileInfo, bool) { return nil, false }

// openFileNoSymlinks leaves OpenReal to the full check where openat2 is
// missing.
func openFileNoSymlinks(string) (File, bool, error) { return nil, false, nil }

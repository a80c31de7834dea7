//go:build !linux

package localfs

import "os"

// openNoSymlinks leaves the jail to the full check where openat2 is missing.
func openNoSymlinks(string) (*os.File, bool, error) { return nil, false, nil }

// noSymlinks leaves Real to the full evaluation where openat2 is missing.
func noSymlinks(string, bool) bool { return false }

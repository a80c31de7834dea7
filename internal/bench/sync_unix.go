//go:build unix

package bench

import "syscall"

// syncDisks flushes every dirty page to disk (sync(2)).
func syncDisks() { syscall.Sync() }

package localfs

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenFIFODoesNotBlock: a FIFO left in the share opens at once, with
// or without the kernel's symlink check, instead of waiting for a writer.
func TestOpenFIFODoesNotBlock(t *testing.T) {
	t.Parallel()
	f := jailFS(t)
	if err := syscall.Mkfifo(filepath.Join(f.Root(), "fifo"), 0o644); err != nil {
		t.Skip("no FIFO here:", err)
	}
	for _, open := range []func(string) error{
		func(name string) error { file, err := f.Open(name); file.Close(); return err },
		func(name string) error { file, err := f.openResolved(name); file.Close(); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- open("/fifo") }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("opening a FIFO waits for a writer")
		}
	}
}

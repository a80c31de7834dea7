package localfs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkResolve measures the path jail on the names a GET, a PUT of a
// new file and a PROPFIND of a folder resolve (Open against Resolve then
// os.Open for GET), with the root a few folders
// deep as it usually is: `go test -run XXX -bench Resolve ./storage/localfs`.
func BenchmarkResolve(b *testing.B) {
	f := newBenchFS(b)
	if err := os.MkdirAll(filepath.Join(f.Root(), "bench", "small"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.Root(), "bench", "small", "f1"), []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"/bench/small/f1", "/bench/small/new", "/bench/small"} {
		b.Run("Resolve"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.Resolve(name); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Open"+name, func(b *testing.B) {
			for b.Loop() {
				if file, err := f.Open(name); err == nil {
					file.Close()
				}
			}
		})
		b.Run("ResolveOpen"+name, func(b *testing.B) {
			for b.Loop() {
				if file, err := f.openResolved(name); err == nil {
					file.Close()
				}
			}
		})
		b.Run("Stat"+name, func(b *testing.B) {
			for b.Loop() {
				f.Stat(context.Background(), name)
			}
		})
	}
}

// BenchmarkReal measures what a request pays to learn a resource's Real
// name (dav does it for every request URI): one openat2 where no symlink
// is on the way, against the full evaluation through a symlinked folder:
// `go test -run XXX -bench Real ./storage/localfs`.
func BenchmarkReal(b *testing.B) {
	f := newBenchFS(b)
	if err := os.MkdirAll(filepath.Join(f.Root(), "bench", "small"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.Root(), "bench", "small", "f1"), []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Symlink("small", filepath.Join(f.Root(), "bench", "link")); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"/bench/small/f1", "/bench/small/new", "/bench/small", "/bench/link/f1"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.Real(name, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

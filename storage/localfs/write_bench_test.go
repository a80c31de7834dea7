package localfs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkWrite compares the atomic upload path (temp file, fsync,
// rename, fsync of the folder) with a plain truncate-in-place write plus
// fsync — what x/net/webdav's PUT does, made durable — for the same sizes,
// in one run: `go test -run XXX -bench Write ./storage/localfs`.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20, 16 << 20} {
		data := bytes.Repeat([]byte("x"), size)
		b.Run(fmt.Sprintf("atomic/%dKiB", size>>10), func(b *testing.B) {
			f := newBenchFS(b)
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				up, err := f.NewUpload("/f")
				if err != nil {
					b.Fatal(err)
				}
				up.Write(data)
				if _, err := up.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("in-place/%dKiB", size>>10), func(b *testing.B) {
			target := filepath.Join(b.TempDir(), "f")
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				w, err := os.OpenFile(target, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
				if err != nil {
					b.Fatal(err)
				}
				w.Write(data)
				if err := w.Sync(); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
		})
	}
}

func newBenchFS(b *testing.B) *FS {
	b.Helper()
	f, err := New(b.TempDir(), nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return f
}

package localfs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage"
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

// BenchmarkSyncDir is 16 writers renaming new files into one folder,
// each making its rename durable with a folder fsync, as concurrent PUTs
// do: shared fsyncs (syncDir) against one fsync per call. An op is one
// rename and its fsync: `go test -run XXX -bench SyncDir ./storage/localfs`.
func BenchmarkSyncDir(b *testing.B) {
	const writers = 16
	for _, bc := range []struct {
		name string
		sync func(f *FS, dir string) error
	}{
		{"shared", (*FS).syncDir},
		{"per-call", func(f *FS, dir string) error { return f.dirs.fsync(dir) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := newBenchFS(b)
			dir := f.Root()
			var fsyncs atomic.Int64
			f.dirs.fsync = func(dir string) error {
				fsyncs.Add(1)
				return storage.SyncDir(dir)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range writers {
				wg.Go(func() {
					tmp := filepath.Join(dir, TempPrefix+strconv.Itoa(w))
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if err := os.WriteFile(tmp, nil, 0o644); err != nil {
							b.Error(err)
							return
						}
						if err := os.Rename(tmp, filepath.Join(dir, strconv.FormatInt(i, 10))); err != nil {
							b.Error(err)
							return
						}
						if err := bc.sync(f, dir); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(fsyncs.Load())/float64(b.N), "fsyncs/op")
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

// BenchmarkConcurrentUploads is davbench's put-small without HTTP: 16
// writers each uploading new 4 KiB files into one folder, durable (fsync
// of the file, rename, shared fsync of the folder) against relaxed (temp
// file and rename only, what Apache's mod_dav_fs does). The ratio of the
// two is what durability costs on the disk at hand:
// `go test -run XXX -bench ConcurrentUploads ./storage/localfs`.
func BenchmarkConcurrentUploads(b *testing.B) {
	const writers = 16
	data := bytes.Repeat([]byte("x"), 4<<10)
	for _, relaxed := range []bool{false, true} {
		name := "durable"
		if relaxed {
			name = "relaxed"
		}
		b.Run(name, func(b *testing.B) {
			f, err := New(b.TempDir(), nil, Options{Relaxed: relaxed})
			if err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			var failed atomic.Value
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			var wg sync.WaitGroup
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						up, err := f.NewUpload("/u" + strconv.FormatInt(i, 10))
						if err == nil {
							up.Write(data)
							_, err = up.Commit()
						}
						if err != nil {
							failed.Store(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
		})
	}
}

package dav

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
	"github.com/atomdav/atomdav/storage/bolt"
)

// BenchmarkProppatchEngine measures durable PROPPATCH commits through the
// engine on the bolt store (4 dead properties per request, each writer on
// its own resource), at 1 and 16 concurrent writers. Compare commits/s with
// BenchmarkFsync, the raw fsync rate of the same disk, run in the same
// invocation: `go test -run XXX -bench 'Engine|Fsync' ./internal/dav`.
func BenchmarkProppatchEngine(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			store, err := bolt.Open(filepath.Join(b.TempDir(), "state.db"), bolt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			engine := &proppatch.Engine{Store: store}
			var next atomic.Int64
			var failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if err := patchOnce(engine, fmt.Sprintf("/f%d", w), i); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d PROPPATCHes failed", failed.Load())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

func patchOnce(e *proppatch.Engine, path string, i int64) error {
	body := fmt.Sprintf(`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:bench"><D:set><D:prop>`+
		`<Z:p1>%d</Z:p1><Z:p2>%d</Z:p2><Z:p3>%d</Z:p3><Z:p4>%d</Z:p4></D:prop></D:set></D:propertyupdate>`, i, i, i, i)
	u, err := proppatch.Parse(strings.NewReader(body))
	if err != nil {
		return err
	}
	r, err := e.Apply(context.Background(), path, u)
	if err != nil {
		return err
	}
	if !r.Committed() {
		return fmt.Errorf("not committed")
	}
	return nil
}

// BenchmarkFsync is the raw rate of a small write plus fsync on the disk
// the other benchmarks use.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "probe"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 512)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

package storagetest

import (
	"context"
	"encoding/xml"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// PatchConcurrently is the body of a store's commit benchmark: writers
// goroutines each set a property on a resource of its own until b.N
// PatchProps calls are done, timed from its start to its end. It reports
// commits/s; the caller adds metrics of its own (CPU, transactions).
func PatchConcurrently(b *testing.B, s storage.Store, writers int) {
	name := xml.Name{Space: "DAV:", Local: "displayname"}
	value := []byte(`<D:displayname xmlns:D="DAV:">benchmark</D:displayname>`)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range writers {
		wg.Go(func() {
			p := fmt.Sprintf("/bench/w%02d", w)
			for next.Add(1) <= int64(b.N) {
				if err := s.PatchProps(context.Background(), p, map[xml.Name][]byte{name: value}, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

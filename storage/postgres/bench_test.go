package postgres

import (
	"context"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/storagetest"
)

// benchStores opens each store the benchmarks compare: the embedded bolt
// store (fsync on commit) and this one on the test database (its
// synchronous_commit, on by default: the commit's WAL is flushed).
func benchStores(b *testing.B) map[string]func(*testing.B) storage.Store {
	sc := newSchemas(b)
	return map[string]func(*testing.B) storage.Store{
		"bolt": func(b *testing.B) storage.Store {
			s, err := bolt.Open(filepath.Join(b.TempDir(), "state.db"), bolt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) storage.Store { return sc.open(b, b.TempDir()) },
	}
}

// BenchmarkPatchProps measures durable commits per second with one and with
// 16 concurrent writers, each on its own resource, on both stores, as
// storage/bolt's benchmark of the same name does.
func BenchmarkPatchProps(b *testing.B) {
	stores := benchStores(b)
	for _, name := range []string{"bolt", "postgres"} {
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("store=%s/writers=%d", name, writers), func(b *testing.B) {
				s := stores[name](b)
				defer s.Close()
				storagetest.PatchConcurrently(b, s, writers)
			})
		}
	}
}

// BenchmarkFolderProps measures the read behind a PROPFIND Depth 1 of a
// folder of 10,000 resources, each with two dead properties, on both
// stores.
func BenchmarkFolderProps(b *testing.B) {
	const n = 10000
	stores := benchStores(b)
	for _, name := range []string{"bolt", "postgres"} {
		b.Run(fmt.Sprintf("store=%s/children=%d", name, n), func(b *testing.B) {
			s := stores[name](b)
			defer s.Close()
			seedFolder(b, s, "/big", n)
			seedFolder(b, s, "/big/sub", 100) // deeper: must not be read
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				got, err := s.FolderProps(ctx, "/big")
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != n+2 { // dir, its n files and sub
					b.Fatalf("FolderProps(/big) has %d resources, want %d", len(got), n+2)
				}
			}
		})
	}
}

// seedFolder gives dir and n children two properties each, from 16
// writers.
func seedFolder(b *testing.B, s storage.Store, dir string, n int) {
	b.Helper()
	set := func(p string) map[xml.Name][]byte {
		return map[xml.Name][]byte{
			{Space: "DAV:", Local: "displayname"}: []byte(`<D:displayname xmlns:D="DAV:">` + p + `</D:displayname>`),
			{Space: "urn:x", Local: "color"}:      []byte(`<x:color xmlns:x="urn:x">blue</x:color>`),
		}
	}
	ctx := context.Background()
	if err := s.PatchProps(ctx, dir, set(dir), nil); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				p := fmt.Sprintf("%s/file-%05d.txt", dir, i)
				if err := s.PatchProps(ctx, p, set(p), nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

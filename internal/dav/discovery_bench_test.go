package dav

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

// BenchmarkPropfindLockDiscovery measures a Depth 1 PROPFIND of
// DAV:lockdiscovery on a folder of 100 files under 20 shared locks, each
// with a small owner: every member reports every lock.
func BenchmarkPropfindLockDiscovery(b *testing.B) {
	root := b.TempDir()
	for i := 0; i < 100; i++ {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	h := newHandlerAt(b, root, bolt.Options{NoSync: true}, Config{})
	for i := 0; i < 20; i++ {
		storeLock(b, h, "/", fmt.Sprintf("<D:href>mailto:user%d@example.com</D:href>", i))
	}
	body := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>`
	b.ReportAllocs()
	for b.Loop() {
		rec := call(h, "PROPFIND", "/", body, "Depth", "1")
		if rec.Code != 207 {
			b.Fatalf("PROPFIND = %d", rec.Code)
		}
	}
}

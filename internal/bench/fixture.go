package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// RunFolder names the fresh folder one davbench run creates its fixtures
// in: the time it started and a random tag, so runs against the same
// share, even concurrent ones, never meet.
func RunFolder(start time.Time, tag uint32) string {
	return fmt.Sprintf("davbench-%s-%08x", start.UTC().Format("20060102T150405Z"), tag)
}

// FileName names the i-th fixture file of a folder.
func FileName(i int) string { return fmt.Sprintf("f%06d.dat", i) }

// ClientFolder names the folder of client c's own files.
func ClientFolder(c int) string { return fmt.Sprintf("c%03d", c) }

// NewFileName names the n-th file client c creates during a run (put-small).
func NewFileName(c int, n int64) string { return fmt.Sprintf("c%03d-n%09d.dat", c, n) }

// joinPath joins a folder's URL path (with or without a trailing slash)
// and the names under it; the names davbench makes need no escaping.
func joinPath(dir string, names ...string) string {
	p := strings.TrimSuffix(dir, "/")
	for _, n := range names {
		p += "/" + n
	}
	return p
}

// block is the content every upload is cut from: 1 MiB of random bytes,
// the same in every run, so compression and deduplication gain nothing.
var block = sync.OnceValue(func() []byte {
	b := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < len(b); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
})

// payload returns n bytes of content starting at offset off of the
// repeated block, without copying: small files differ by their offset.
func payload(n, off int64) io.Reader {
	return io.LimitReader(&blockReader{off: off % int64(len(block()))}, n)
}

// blockReader reads block over and over from off.
type blockReader struct{ off int64 }

func (r *blockReader) Read(p []byte) (int, error) {
	b := block()
	n := copy(p, b[r.off:])
	r.off = (r.off + int64(n)) % int64(len(b))
	return n, nil
}

package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/internal/config"
)

// writeClients is how many requests BenchmarkChainProppatch and
// BenchmarkChainLock keep in flight, as davbench's 16 clients do, so that
// the group commit batches them as it does under load.
const writeClients = 16

// BenchmarkChainProppatch measures the whole handler chain for a PROPPATCH
// setting 4 dead properties of a file, durable (fsync before the answer),
// with 16 requests in flight on 128 files: the davbench proppatch
// scenario without the network.
// `go test -run XXX -bench ChainProppatch -benchmem ./internal/server`.
func BenchmarkChainProppatch(b *testing.B) {
	h, _ := benchWriteChain(b, 128)
	var seq atomic.Int64
	runWrites(b, func(w *discardWriter) {
		n := seq.Add(1)
		body := benchSetBody("op " + strconv.FormatInt(n, 10))
		r := benchRequest(b, "PROPPATCH", "/f"+strconv.FormatInt(n%128, 10)+".txt", body)
		h.ServeHTTP(w, r)
		if w.status != http.StatusMultiStatus {
			b.Errorf("PROPPATCH: status %d", w.status)
		}
	})
}

// BenchmarkChainLock measures a LOCK and an UNLOCK of a file (one
// operation is the pair), durable, with 16 clients each on its own file:
// the davbench lock-unlock scenario without the network.
func BenchmarkChainLock(b *testing.B) {
	const body = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>davbench</D:href></D:owner></D:lockinfo>`
	h, _ := benchWriteChain(b, 256)
	var client atomic.Int64
	b.SetParallelism(1)
	parallel := func(pb *testing.PB) {
		path := "/f" + strconv.FormatInt((client.Add(1)-1)%256, 10) + ".txt"
		w := &discardWriter{header: http.Header{}}
		for pb.Next() {
			clear(w.header)
			w.status = 0
			r := benchRequest(b, "LOCK", path, body)
			r.Header.Set("Depth", "0")
			r.Header.Set("Timeout", "Second-60")
			h.ServeHTTP(w, r)
			tok := w.header.Get("Lock-Token")
			if w.status != http.StatusOK || tok == "" {
				b.Errorf("LOCK: status %d, token %q", w.status, tok)
				return
			}
			clear(w.header)
			w.status = 0
			r = benchRequest(b, "UNLOCK", path, "")
			r.Header.Set("Lock-Token", tok)
			h.ServeHTTP(w, r)
			if w.status != http.StatusNoContent {
				b.Errorf("UNLOCK: status %d", w.status)
				return
			}
		}
	}
	b.ReportAllocs()
	b.SetParallelism(writeClients)
	start := cpuTime(b)
	b.RunParallel(parallel)
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// runWrites runs op on writeClients goroutines per core and reports the
// process's CPU time per operation.
func runWrites(b *testing.B, op func(w *discardWriter)) {
	b.ReportAllocs()
	b.SetParallelism(writeClients)
	start := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{header: http.Header{}}
		for pb.Next() {
			clear(w.header)
			w.status = 0
			op(w)
		}
	})
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// benchWriteChain builds a server, as benchChain does, on a share holding
// the empty files f0.txt … f<n-1>.txt, and returns its handler chain.
func benchWriteChain(b *testing.B, n int) (http.Handler, string) {
	b.Helper()
	root := b.TempDir()
	for i := range n {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d.txt", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Root = root
	cfg.Addr = "127.0.0.1:0"
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.Anonymous = true
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.ln.Close()
		s.store.Close()
	})
	return s.http.Handler, root
}

func benchRequest(b *testing.B, method, path, body string) *http.Request {
	r, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	r.RemoteAddr = "127.0.0.1:40000"
	if body != "" {
		r.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	return r
}

// benchSetBody is davbench's PROPPATCH body: 4 dead properties.
func benchSetBody(tag string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<D:propertyupdate xmlns:D="DAV:" xmlns:b="urn:x-davbench:"><D:set><D:prop>`)
	for i := range 4 {
		fmt.Fprintf(&b, `<b:p%d>value %d of %s</b:p%d>`, i, i, tag, i)
	}
	b.WriteString(`</D:prop></D:set></D:propertyupdate>`)
	return b.String()
}

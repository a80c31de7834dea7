package dav

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

// benchSetBody and benchPropfindBody are davbench's proppatch and
// propfind-dead bodies.
const (
	benchSetBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:b="urn:x-davbench:"><D:set><D:prop>` +
		`<b:p0>value 0 of client 3 op 1234</b:p0><b:p1>value 1 of client 3 op 1234</b:p1>` +
		`<b:p2>value 2 of client 3 op 1234</b:p2><b:p3>value 3 of client 3 op 1234</b:p3>` +
		`</D:prop></D:set></D:propertyupdate>`
	benchPropfindBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:b="urn:x-davbench:"><D:prop><b:p0/><b:p1/><b:p2/><b:p3/></D:prop></D:propfind>`
)

// newBenchHandler serves a fresh folder holding /f, on a bolt store that
// skips fsync so that the benchmarks measure CPU, not the disk.
func newBenchHandler(b *testing.B) *Handler {
	b.Helper()
	root := b.TempDir()
	if err := os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	return newHandlerAt(b, root, bolt.Options{NoSync: true}, Config{})
}

// discardWriter is an http.ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

func serveBench(b *testing.B, h *Handler, method, body string, hdr ...string) {
	r := httptest.NewRequest(method, "/f", strings.NewReader(body))
	for i := 0; i < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := &discardWriter{h: make(http.Header)}
	h.ServeHTTP(w, r)
	if w.status != http.StatusMultiStatus {
		b.Fatalf("%s: status %d", method, w.status)
	}
}

// BenchmarkPropfindDead is davbench's propfind-dead on one file, without
// the network: the CPU and allocations of one PROPFIND Depth 0 of four
// dead properties.
func BenchmarkPropfindDead(b *testing.B) {
	h := newBenchHandler(b)
	serveBench(b, h, "PROPPATCH", benchSetBody)
	b.ReportAllocs()
	for b.Loop() {
		serveBench(b, h, "PROPFIND", benchPropfindBody, "Depth", "0")
	}
}

// BenchmarkProppatchHandler is davbench's proppatch on one file without the
// network or fsync: the CPU and allocations of one PROPPATCH of four dead
// properties.
func BenchmarkProppatchHandler(b *testing.B) {
	h := newBenchHandler(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		serveBench(b, h, "PROPPATCH", strings.Replace(benchSetBody, "1234", fmt.Sprint(i), 4))
	}
}

// BenchmarkParsePropfind measures parsing propfind-dead's body alone.
func BenchmarkParsePropfind(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePropfind(strings.NewReader(benchPropfindBody)); err != nil {
			b.Fatal(err)
		}
	}
}

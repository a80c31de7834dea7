package dav

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage/bolt"
)

// BenchmarkPropfindDepth1 is davbench's propfind-d1 without the network:
// PROPFIND Depth 1 allprop of a folder of 10,000 files of 1 KiB, each
// written by a PUT (so each has its content record, as davbench's have).
// It reports the CPU of one listing (cpu-ns/op) and its allocations.
func BenchmarkPropfindDepth1(b *testing.B) {
	const files = 10000
	h := newHandlerAt(b, b.TempDir(), bolt.Options{NoSync: true}, Config{})
	mustServe(b, h, httptest.NewRequest("MKCOL", "/big", nil), http.StatusCreated)
	body := bytes.Repeat([]byte("x"), 1<<10)
	for i := range files {
		r := httptest.NewRequest("PUT", fmt.Sprintf("/big/f%05d", i), bytes.NewReader(body))
		mustServe(b, h, r, http.StatusCreated)
	}
	const allprop = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`
	b.ReportAllocs()
	start := cpuNow(b)
	for b.Loop() {
		r := httptest.NewRequest("PROPFIND", "/big/", strings.NewReader(allprop))
		r.Header.Set("Depth", "1")
		w := &discardWriter{h: make(http.Header)}
		h.ServeHTTP(w, r)
		if w.status != http.StatusMultiStatus {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(cpuNow(b)-start)/float64(b.N), "cpu-ns/op")
}

func mustServe(b *testing.B, h *Handler, r *http.Request, want int) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		b.Fatalf("%s %s: %d, want %d: %s", r.Method, r.URL.Path, w.Code, want, w.Body)
	}
}

// cpuNow is the CPU time the process has used, user and system: unlike
// ns/op it does not grow when other processes take the cores.
func cpuNow(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

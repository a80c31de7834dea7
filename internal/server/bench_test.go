package server

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/config"
)

// BenchmarkChainGet measures the whole handler chain (middleware, auth
// gate, dav router, GET) for a 4 KiB file without a network in between,
// so cpu-ns/op and allocs/op are atomdav's own per-request cost:
// `go test -run XXX -bench ChainGet -benchmem ./internal/server`. Requests
// run on every core at once, as the server's do, so shared state such as
// the metrics pays for its contention. The
// access log is off (log level warn) as in the benchmarks against Apache,
// and on in the access-log cases; metrics are on throughout.
func BenchmarkChainGet(b *testing.B) {
	for _, tc := range []struct {
		name   string
		method string
		header []string
		level  slog.Level
		status int
	}{
		{"GET", "GET", nil, slog.LevelWarn, http.StatusOK},
		{"HEAD", "HEAD", nil, slog.LevelWarn, http.StatusOK},
		{"304", "GET", []string{"If-Modified-Since", "Sun, 01 Jan 2090 00:00:00 GMT"}, slog.LevelWarn, http.StatusNotModified},
		{"GET-access-log", "GET", nil, slog.LevelInfo, http.StatusOK},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := benchChain(b, tc.level)
			r, err := http.NewRequest(tc.method, "http://127.0.0.1/f.txt", nil)
			if err != nil {
				b.Fatal(err)
			}
			r.RemoteAddr = "127.0.0.1:40000"
			for i := 0; i+1 < len(tc.header); i += 2 {
				r.Header.Set(tc.header[i], tc.header[i+1])
			}
			b.ReportAllocs()
			start := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				w := &discardWriter{header: http.Header{}}
				for pb.Next() {
					clear(w.header)
					w.status = 0
					h.ServeHTTP(w, r)
					if w.status != tc.status {
						b.Errorf("status %d, want %d", w.status, tc.status)
						return
					}
				}
			})
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system, GC
// included: unlike ns/op it does not grow when other processes take the
// cores.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchChain builds a server on a temporary share holding f.txt (4 KiB)
// and returns its handler chain; the server never listens for real.
func benchChain(b *testing.B, level slog.Level) http.Handler {
	b.Helper()
	root := b.TempDir()
	if err := os.WriteFile(filepath.Join(root, "f.txt"), make([]byte, 4096), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	cfg.Root = root
	cfg.Addr = "127.0.0.1:0"
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.Anonymous = true
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	s, err := New(cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.ln.Close()
		s.store.Close()
	})
	return s.http.Handler
}

// discardWriter is a ResponseWriter that throws the body away, with the
// io.ReaderFrom that net/http's own has.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

func (w *discardWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return io.Copy(io.Discard, src)
}

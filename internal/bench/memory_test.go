// Memory bounds of issue 7, part 4, as benchmarks against the real binary:
// PROPFIND Depth 1 over a 100,000-file folder, and a 4 GiB PUT and GET,
// must each grow the server's peak RSS (VmHWM) by less than 64 MiB.
// They are not run by `go test ./...`; run them with
//
//	go test -run XXX -bench Memory -benchtime 1x ./internal/bench
//
// ATOMDAV_BENCH_BIG sets the PUT/GET size (bytes, or with a K, M or G
// suffix for KiB, MiB, GiB; default 4G) for quicker local runs. Under -race
// the server is built with -race too, and its figures mean little.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/testbin"
)

const (
	memBound      = 64 << 20 // the most any request may grow the server's peak RSS by
	memFolderSize = 100_000  // files in the PROPFIND Depth 1 folder
	memBigDefault = 4 << 30  // PUT/GET body size unless ATOMDAV_BENCH_BIG says otherwise
)

// memServer is an atomdav process serving a temporary folder.
type memServer struct {
	*server
	root string // the folder it serves
	c    *http.Client
}

// startMemServer builds atomdav and serves root, which setup (if not nil)
// fills before the server starts.
func startMemServer(b *testing.B, setup func(root string)) *memServer {
	b.Helper()
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/PID/status")
	}
	tmp := b.TempDir()
	bin, err := testbin.Build(tmp)
	if err != nil {
		b.Fatal(err)
	}
	root := filepath.Join(tmp, "files")
	if err := os.Mkdir(root, 0o755); err != nil {
		b.Fatal(err)
	}
	if setup != nil {
		setup(root)
	}
	ctx := context.Background()
	s, err := startServer(ctx, "atomdav", filepath.Join(tmp, "atomdav.log"), func(addr string) (*exec.Cmd, error) {
		return exec.CommandContext(ctx, bin, "serve", root, "--addr", addr, "--anonymous", "--log-level", "warn"), nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ms := &memServer{server: s, root: root,
		c: &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}}
	b.Cleanup(func() {
		ms.c.CloseIdleConnections()
		s.stop()
	})
	return ms
}

// memStatus returns VmRSS and VmHWM (peak RSS) of process pid, in bytes.
func memStatus(b *testing.B, pid int) (rss, hwm int64) {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/status: %q: %v", pid, line, err)
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	if rss == 0 || hwm == 0 {
		b.Fatalf("/proc/%d/status has no VmRSS or VmHWM", pid)
	}
	return rss, hwm
}

// measure runs fn b.N times and reports how far the server's peak RSS rose
// above its RSS beforehand, failing the benchmark past memBound.
func (ms *memServer) measure(b *testing.B, fn func()) {
	b.Helper()
	pid := ms.cmd.Process.Pid
	rss0, _ := memStatus(b, pid)
	b.ResetTimer()
	for range b.N {
		fn()
	}
	b.StopTimer()
	if gone, err := ms.exited(); gone {
		b.Fatalf("atomdav exited: %v\n%s", err, ms.output())
	}
	rss1, hwm := memStatus(b, pid)
	peak := float64(hwm-rss0) / (1 << 20)
	b.Logf("atomdav pid %d: RSS %.1f MiB before, %.1f MiB after, peak %.1f MiB",
		pid, float64(rss0)/(1<<20), float64(rss1)/(1<<20), float64(hwm)/(1<<20))
	b.ReportMetric(peak, "MiB-peak-RSS-growth")
	b.ReportMetric(float64(rss1-rss0)/(1<<20), "MiB-RSS-growth")
	if hwm-rss0 > memBound {
		b.Fatalf("peak RSS grew by %.1f MiB (from %d to %d MiB), bound %d MiB",
			peak, rss0>>20, hwm>>20, memBound>>20)
	}
}

// do sends a request and discards the response body, failing unless the
// status is want.
func (ms *memServer) do(b *testing.B, req *http.Request, want int) int64 {
	b.Helper()
	resp, err := ms.c.Do(req)
	if err != nil {
		b.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		b.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %s, want %d", req.Method, req.URL.Path, resp.Status, want)
	}
	return n
}

func BenchmarkPropfindDepth1Memory(b *testing.B) {
	ms := startMemServer(b, func(root string) {
		dir := filepath.Join(root, "big")
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for i := range memFolderSize {
			if err := os.WriteFile(filepath.Join(dir, FileName(i)), nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	})
	const allprop = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`
	var n int64
	ms.measure(b, func() {
		req, err := http.NewRequest("PROPFIND", ms.url+"big/", strings.NewReader(allprop))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Depth", "1")
		req.Header.Set("Content-Type", "application/xml")
		n = ms.do(b, req, http.StatusMultiStatus)
	})
	if min := int64(memFolderSize) * 100; n < min {
		b.Fatalf("multistatus of %d bytes for %d files; want at least %d", n, memFolderSize, min)
	}
}

func BenchmarkPutMemory(b *testing.B) {
	size := bigSize(b)
	ms := startMemServer(b, nil)
	b.SetBytes(size)
	ms.measure(b, func() {
		req, err := http.NewRequest("PUT", ms.url+"big.bin", io.LimitReader(&patternReader{}, size))
		if err != nil {
			b.Fatal(err)
		}
		req.ContentLength = size
		ms.do(b, req, putStatus(ms.root))
	})
	checkSize(b, filepath.Join(ms.root, "big.bin"), size)
	os.Remove(filepath.Join(ms.root, "big.bin"))
}

func BenchmarkGetMemory(b *testing.B) {
	size := bigSize(b)
	ms := startMemServer(b, func(root string) {
		f, err := os.Create(filepath.Join(root, "big.bin"))
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(f, io.LimitReader(&patternReader{}, size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
	})
	defer os.Remove(filepath.Join(ms.root, "big.bin"))
	b.SetBytes(size)
	ms.measure(b, func() {
		req, err := http.NewRequest("GET", ms.url+"big.bin", nil)
		if err != nil {
			b.Fatal(err)
		}
		if n := ms.do(b, req, http.StatusOK); n != size {
			b.Fatalf("GET returned %d bytes, want %d", n, size)
		}
	})
}

// putStatus is 201 for the first PUT of big.bin and 204 once it exists.
func putStatus(root string) int {
	if _, err := os.Stat(filepath.Join(root, "big.bin")); err == nil {
		return http.StatusNoContent
	}
	return http.StatusCreated
}

func checkSize(b *testing.B, path string, want int64) {
	b.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	if fi.Size() != want {
		b.Fatalf("%s has %d bytes, want %d", path, fi.Size(), want)
	}
}

// bigSize is ATOMDAV_BENCH_BIG in bytes, or memBigDefault.
func bigSize(b *testing.B) int64 {
	b.Helper()
	s := os.Getenv("ATOMDAV_BENCH_BIG")
	if s == "" {
		return memBigDefault
	}
	shift := 0
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	}
	if shift > 0 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		b.Fatalf("ATOMDAV_BENCH_BIG=%q: want a positive size such as 1073741824, 512M or 4G", os.Getenv("ATOMDAV_BENCH_BIG"))
	}
	return n << shift
}

// patternReader yields an endless, non-constant byte pattern without
// holding more than the caller's buffer.
type patternReader struct{ off int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	for i := range p {
		r.off++
		p[i] = byte(r.off*131 + r.off>>12)
	}
	return len(p), nil
}

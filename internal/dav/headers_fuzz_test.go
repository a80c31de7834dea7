package dav

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage/bolt"
)

// The fuzz targets below cover every request header atomdav parses itself
// (issue 12 item 9; If is fuzzed in package ifheader). Each checks that
// the parser never panics, refuses only with a 4xx, and that what it
// accepts is in range. Their seeds are also under testdata/fuzz.

// FuzzParseDepth checks Depth (RFC 4918 §10.2): only 0, 1 and infinity
// come out, and each parses back to itself.
func FuzzParseDepth(f *testing.F) {
	for _, s := range []string{"", "0", "1", "infinity", "Infinity", "INFINITY", "2", "-1", " 0", "1 ", "infinite"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := parseDepth(v)
		if err != nil {
			if statusOf(err) != http.StatusBadRequest {
				t.Fatalf("parseDepth(%q): %v is not a 400", v, err)
			}
			return
		}
		if again, err := parseDepth(d); again != d || err != nil || (d != "0" && d != "1" && d != "infinity") {
			t.Fatalf("parseDepth(%q) = %q, which parses as %q, %v", v, d, again, err)
		}
	})
}

// FuzzParseCopyMove checks the headers of COPY and MOVE (RFC 4918 §10.3,
// §10.6, §9.8.3): Destination, Depth and Overwrite, against a real
// handler. What it accepts names a clean path of this share, not the
// state folder, neither inside nor above the source.
func FuzzParseCopyMove(f *testing.F) {
	f.Add("/c/n", "", "", false)
	f.Add("http://example.com/c/n", "infinity", "T", true)
	f.Add("http://example.com/x/../f2", "0", "F", false)
	f.Add("http://other.example/f2", "1", "f", true)
	f.Add("/.atomdav/state.db", "", "", false)
	f.Add("/c/m/../../c/sub", "0", "t", false)
	f.Add("%2e%2e/%2e%2e/etc/passwd", "", "X", true)
	f.Add("http://example.com", "", "", false)
	f.Add("mailto:x@y", "", "", false)
	h := newFuzzHandler(f)
	f.Fuzz(func(t *testing.T, dest, depth, overwrite string, move bool) {
		method := "COPY"
		if move {
			method = "MOVE"
		}
		r := httptest.NewRequest(method, "http://example.com/c", nil)
		setHeaders(r, "Destination", dest, "Depth", depth, "Overwrite", overwrite)
		req, err := h.parseCopyMove(r, "/c")
		if err != nil {
			if st := statusOf(err); st != http.StatusBadRequest && st != http.StatusForbidden && st != http.StatusBadGateway {
				t.Fatalf("%s Destination %q: %v has status %d", method, dest, err, st)
			}
			return
		}
		switch {
		case !strings.HasPrefix(req.dst, "/") || path.Clean(req.dst) != req.dst:
			t.Fatalf("Destination %q gave the unclean path %q", dest, req.dst)
		case h.fs.IsHidden(req.dst):
			t.Fatalf("Destination %q reaches the state folder: %q", dest, req.dst)
		case req.dst == req.src || within(req.dst, req.src) || within(req.src, req.dst):
			t.Fatalf("Destination %q: %q overlaps the source", dest, req.dst)
		case !req.infinite && (move || depth != "0"):
			t.Fatalf("%s with Depth %q is not infinite", method, depth)
		case req.overwrite != (overwrite != "F" && overwrite != "f"):
			t.Fatalf("Overwrite %q gave %v", overwrite, req.overwrite)
		}
	})
}

// FuzzLockTimeout checks Timeout (RFC 4918 §10.7): whatever is asked, a
// lock lasts between one second and the server's maximum, and a single
// Second-n within them is honoured.
func FuzzLockTimeout(f *testing.F) {
	for _, s := range []string{"", "Infinite", "Second-3600", "Second-0", "Second-4100000000", "Second-99999999999",
		"Infinite, Second-4100000000", "Second--1", "second-10", "Second-+5", "Second-1e3", ",,,", "Second-60, Infinite"} {
		f.Add(s)
	}
	const limit = 24 * time.Hour
	h := &Handler{cfg: Config{MaxLockTimeout: limit}}
	f.Fuzz(func(t *testing.T, v string) {
		got := h.lockTimeout(v)
		if got < time.Second || got > limit {
			t.Fatalf("Timeout %q gave %v", v, got)
		}
		if n, ok := strings.CutPrefix(v, "Second-"); ok && strings.Trim(n, "0123456789") == "" && n != "" {
			if secs, err := strconv.ParseInt(n, 10, 64); err == nil && secs >= 1 && secs <= int64(limit/time.Second) && got != time.Duration(secs)*time.Second {
				t.Fatalf("Timeout %q gave %v", v, got)
			}
		}
	})
}

// FuzzParseUploadMeta checks the sync clients' headers on PUT, COPY and
// MOVE: X-Expected-Entity-Length, OC-Checksum and X-OC-Mtime. Refusals
// are 400 (never a panic, as OC-Checksum of Unicode white space was), an
// accepted checksum is a supported algorithm with a digest of its length,
// an accepted mtime lies between 1970 and 2262 (what os.Chtimes can set).
func FuzzParseUploadMeta(f *testing.F) {
	f.Add("", "SHA1:da39a3ee5e6b4b0d3255bfef95601890afd80709", "1645568542")
	f.Add("12", "MD5:d41d8cd98f00b204e9800998ecf8427e SHA1:x", "1645568542.123456789")
	f.Add("-1", "\u00a0", "NaN")
	f.Add("1e3", "\u2003\u3000", "Inf")
	f.Add("99999999999999999999", "SHA256:", "-Inf")
	f.Add("0", "sha1:DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "1e30")
	f.Add(" 5", "CRC32:00000000", "-1")
	f.Add("", ":", "253402300800")
	f.Add("", "", "9223372037")
	f.Add("", "SHA1:zz39a3ee5e6b4b0d3255bfef95601890afd80709", "0x1p30")
	f.Fuzz(func(t *testing.T, expected, checksum, mtime string) {
		r := httptest.NewRequest("PUT", "/f", nil)
		setHeaders(r, "X-Expected-Entity-Length", expected, "OC-Checksum", checksum, "X-OC-Mtime", mtime)
		m, err := parseUploadMeta(r)
		if err != nil {
			if statusOf(err) != http.StatusBadRequest {
				t.Fatalf("%v is not a 400", err)
			}
			return
		}
		if m.expected < -1 || (expected == "") != (m.expected == -1) {
			t.Fatalf("X-Expected-Entity-Length %q gave %d", expected, m.expected)
		}
		if (checksum == "") != (m.wanted() == 0) {
			t.Fatalf("OC-Checksum %q gave digests %x", checksum, m.want)
		}
		for a, d := range m.want {
			if d != nil && len(d) != algos[a].new().Size() {
				t.Fatalf("OC-Checksum %q gave digest %x for %s", checksum, d, algos[a].oc)
			}
		}
		if m.hasMtime && (m.mtime.Unix() < 0 || !settableTime(m.mtime)) {
			t.Fatalf("X-OC-Mtime %q gave %v", mtime, m.mtime)
		}
	})
}

// FuzzRange checks GET with a Range header (RFC 9110 §14), which
// http.ServeContent parses: 200, 206 or 416 only, a single-range 206
// holds exactly the bytes its Content-Range names, and more ranges than
// Config.MaxRanges get the whole file.
func FuzzRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=5-", "bytes=-3", "bytes=0-0,2-3", "bytes=9-2", "bytes=100-",
		"bytes=-0", "bytes=0-99999999999999999999", "bytes= 1 - 2 ", "items=0-1", "bytes=" + strings.Repeat("0-1,", 50), "bytes=" + strings.Repeat("0-0,", 150)} {
		f.Add(s)
	}
	h := newFuzzHandler(f)
	content, err := os.ReadFile(filepath.Join(localRoot(h), "f"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rng string) {
		r := httptest.NewRequest("GET", "/f", nil)
		r.Header.Set("Range", rng)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if strings.Count(rng, ",") >= h.cfg.MaxRanges && (w.Code != http.StatusOK || w.Body.String() != string(content)) {
			t.Fatalf("Range %q of more than %d ranges: status %d, not the whole file", rng, h.cfg.MaxRanges, w.Code)
		}
		switch w.Code {
		case http.StatusOK, http.StatusRequestedRangeNotSatisfiable:
		case http.StatusPartialContent:
			if strings.HasPrefix(w.Header().Get("Content-Type"), "multipart/") {
				return
			}
			var start, end, size int
			if _, err := fmt.Sscanf(w.Header().Get("Content-Range"), "bytes %d-%d/%d", &start, &end, &size); err != nil {
				t.Fatalf("Range %q: Content-Range %q", rng, w.Header().Get("Content-Range"))
			}
			if size != len(content) || w.Body.String() != string(content[start:end+1]) {
				t.Fatalf("Range %q: Content-Range %q with body %q", rng, w.Header().Get("Content-Range"), w.Body)
			}
		default:
			t.Fatalf("Range %q: status %d", rng, w.Code)
		}
	})
}

// newFuzzHandler serves a folder holding /f (a file of 26 bytes), /c/m and
// the state folder, for the whole fuzzing run.
func newFuzzHandler(f *testing.F) *Handler {
	root := f.TempDir()
	os.WriteFile(filepath.Join(root, "f"), []byte("abcdefghijklmnopqrstuvwxyz"), 0o644)
	os.MkdirAll(filepath.Join(root, "c"), 0o755)
	os.WriteFile(filepath.Join(root, "c", "m"), []byte("y"), 0o644)
	return newHandlerAt(f, root, bolt.Options{NoSync: true}, Config{})
}

// setHeaders sets each non-empty value of kv, name then value.
func setHeaders(r *http.Request, kv ...string) {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] != "" {
			r.Header.Set(kv[i], kv[i+1])
		}
	}
}

package dav

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHideOSJunk: with HideOSJunk, PROPFIND and listings leave out OS
// clutter, which stays reachable by name; without it, it is listed.
func TestHideOSJunk(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	for _, n := range []string{".DS_Store", "._f", "Thumbs.db", "desktop.ini", "keep.txt"} {
		os.WriteFile(filepath.Join(localRoot(h), n), []byte("j"), 0o644)
	}
	for _, hide := range []bool{false, true} {
		v := *h
		v.cfg.HideOSJunk = hide
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("PROPFIND", "/", nil)
		req.Header.Set("Depth", "1")
		v.ServeHTTP(rec, req)
		body := rec.Body.String()
		if strings.Contains(body, ".DS_Store") == hide || strings.Contains(body, "._f") == hide || !strings.Contains(body, "keep.txt") {
			t.Errorf("hide=%v: PROPFIND lists\n%s", hide, body)
		}
		rec = httptest.NewRecorder()
		v.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if strings.Contains(rec.Body.String(), "Thumbs.db") == hide {
			t.Errorf("hide=%v: listing is\n%s", hide, rec.Body.String())
		}
		rec = httptest.NewRecorder()
		v.ServeHTTP(rec, httptest.NewRequest("GET", "/.DS_Store", nil))
		if rec.Code != 200 {
			t.Errorf("hide=%v: GET /.DS_Store = %d, want 200", hide, rec.Code)
		}
	}
}

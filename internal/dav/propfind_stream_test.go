package dav

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

// writeSizes is a ResponseRecorder that remembers its largest Write.
type writeSizes struct {
	*httptest.ResponseRecorder
	largest, total int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.largest, w.total = max(w.largest, len(p)), w.total+len(p)
	return w.ResponseRecorder.Write(p)
}

// TestPropfindIsStreamed: the 207 of a PROPFIND Depth: 1 reaches the
// client in pieces of the writer's buffer (32 KiB) while it is made, as
// the README says, not built whole in memory and written at the end.
func TestPropfindIsStreamed(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for i := range 2000 {
		os.WriteFile(filepath.Join(root, "file-"+strconv.Itoa(i)), nil, 0o644)
	}
	h := newHandlerAt(t, root, bolt.Options{}, Config{})
	req := httptest.NewRequest("PROPFIND", "/", strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`))
	req.Header.Set("Depth", "1")
	w := &writeSizes{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(w, req)
	if w.Code != http.StatusMultiStatus {
		t.Fatalf("status %d, want 207", w.Code)
	}
	if w.total < 256<<10 || w.largest > 64<<10 {
		t.Errorf("a %d-byte 207 was written in pieces of up to %d bytes, want at most 64 KiB each", w.total, w.largest)
	}
}

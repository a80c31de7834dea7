package dav

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage/bolt"
)

// TestProppatchNameTooLongToStore: a property name longer than the store
// can key is 507 (RFC 4918 §9.2.1: the server cannot record it) with a
// message, not a 500 reported as a failure of the server, and nothing
// changes.
func TestProppatchNameTooLongToStore(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644)
	var failures atomic.Int64
	h := newHandlerAt(t, root, bolt.Options{}, Config{OnError: func(*http.Request, error) { failures.Add(1) }})
	ns := "urn:" + strings.Repeat("n", 40<<10)
	body := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="` + ns + `"><D:set><D:prop>` +
		`<D:displayname>kept?</D:displayname><x:a>1</x:a></D:prop></D:set></D:propertyupdate>`
	rec := call(h, "PROPPATCH", "/f", body)
	if rec.Code != http.StatusInsufficientStorage || !strings.Contains(rec.Body.String(), "too long") {
		t.Fatalf("PROPPATCH of a 40 KiB name = %d: %s", rec.Code, rec.Body)
	}
	if failures.Load() != 0 {
		t.Errorf("reported as a server failure")
	}
	rec = call(h, "PROPFIND", "/f", `<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>`, "Depth", "0")
	if strings.Contains(rec.Body.String(), "kept?") {
		t.Errorf("the refused PROPPATCH set displayname: %s", rec.Body)
	}
}

package dav

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// storeLock stores a lock with owner as an older atomdav would have,
// without the checks a LOCK now makes.
func storeLock(tb testing.TB, h *Handler, root, owner string) storage.Lock {
	tb.Helper()
	l, err := h.locks.CreateLock(context.Background(), storage.Lock{Token: newToken(), Root: root, Shared: true,
		Owner: []byte(owner), OwnerNS: map[string]string{"D": "DAV:"}, Timeout: time.Minute}, storage.LockLimits{})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// wellFormed fails the test unless body is well-formed XML.
func wellFormed(t *testing.T, body string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("ill-formed answer (%v):\n%s", err, body)
		}
	}
}

// TestStoredBadOwnerLeftOut: a lock stored before owners were checked,
// whose owner now fails them (RFC 4918 §14.17 owner is any XML, but it
// must keep the answer well-formed), is shown without its owner; a good
// owner next to it is still echoed.
func TestStoredBadOwnerLeftOut(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"XML declaration": `<?xml version="1.0"?><D:href>x</D:href>`,
		"DOCTYPE":         `<!DOCTYPE x [<!ENTITY a "b">]><x/>`,
		"over the limit":  "<D:href>" + strings.Repeat("a", 5000) + "</D:href>",
	}
	for name, owner := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newTestHandler(t)
			storeLock(t, h, "/c", owner)
			storeLock(t, h, "/c", "<D:href>good owner</D:href>")
			rec := call(h, "PROPFIND", "/c", "", "Depth", "1")
			body := rec.Body.String()
			if rec.Code != http.StatusMultiStatus {
				t.Fatalf("PROPFIND = %d: %s", rec.Code, body)
			}
			wellFormed(t, body)
			if strings.Count(body, "<D:activelock>") != 4 || strings.Count(body, "good owner") != 2 || strings.Count(body, "<D:owner") != 2 {
				t.Fatalf("want both locks on /c and /c/m, only the good owner shown:\n%s", body)
			}
		})
	}
}

// BenchmarkWriteActiveLock measures rendering one activelock with a small
// owner, its owner check remembered (as served) and made each time.
func BenchmarkWriteActiveLock(b *testing.B) {
	h := newHandlerAt(b, b.TempDir(), bolt.Options{}, Config{})
	l := storeLock(b, h, "/", `<D:href>mailto:someone@example.com</D:href>`)
	for _, bc := range []struct {
		name   string
		owners *ownerChecks
	}{{"remembered", &ownerChecks{}}, {"checked each time", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			h.owners = bc.owners
			var sb strings.Builder
			b.ReportAllocs()
			for b.Loop() {
				sb.Reset()
				h.writeActiveLock(&sb, l)
			}
		})
	}
}

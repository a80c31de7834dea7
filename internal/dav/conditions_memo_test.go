package dav

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// countingLocks counts the lock-table reads of a handler.
type countingLocks struct {
	storage.LockTable
	reads atomic.Int64
}

func (c *countingLocks) Locks(ctx context.Context, p string) ([]storage.Lock, error) {
	c.reads.Add(1)
	return c.LockTable.Locks(ctx, p)
}

// ifOf is an If header of n lists, each tagged with one of resources in
// turn and naming an unknown token, so that none holds and all are read.
func ifOf(n int, resources ...string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<%s> (<urn:uuid:nope-%d>) ", resources[i%len(resources)], i)
	}
	return b.String()
}

// TestIfReadsEachResourceOnce: an If header of many lists naming the same
// few resources reads each resource's locks once (RFC 4918 §10.4 lists are
// alternatives; evaluating each need not read the store again).
func TestIfReadsEachResourceOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		lists     int
		resources []string
		reads     int64
	}{
		{"one resource, many lists", 200, []string{"/f"}, 1},
		{"two resources, many lists", 200, []string{"/f", "/c/m"}, 2},
		{"one list", 1, []string{"/f"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t)
			c := &countingLocks{LockTable: h.locks}
			h.locks = c
			r := httptest.NewRequest("PROPPATCH", "/f", nil)
			r.Header.Set("If", ifOf(tt.lists, tt.resources...))
			if st, err := h.checkWrite(r, "/f", scope{}); st != http.StatusPreconditionFailed {
				t.Fatalf("checkWrite = %d (%v), want 412", st, err)
			}
			if got := c.reads.Load(); got != tt.reads {
				t.Fatalf("%d lock reads, want %d", got, tt.reads)
			}
		})
	}
}

// TestIfConditionsBounded: an If header over Config.MaxIfConditions is 400
// before any store read; one at the limit is evaluated.
func TestIfConditionsBounded(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	h.cfg.MaxIfConditions = 10
	c := &countingLocks{LockTable: h.locks}
	h.locks = c
	r := httptest.NewRequest("PROPPATCH", "/f", nil)
	r.Header.Set("If", ifOf(11, "/f"))
	st, err := h.checkWrite(r, "/f", scope{})
	if st != http.StatusBadRequest || c.reads.Load() != 0 {
		t.Fatalf("11 conditions: %d (%v) after %d reads, want 400 after none", st, err, c.reads.Load())
	}
	r.Header.Set("If", ifOf(10, "/f"))
	if st, err := h.checkWrite(r, "/f", scope{}); st != http.StatusPreconditionFailed {
		t.Fatalf("10 conditions: %d (%v), want 412", st, err)
	}
}

// BenchmarkCheckWriteIf measures evaluating an If header of 256 lists on
// one resource, the most the default MaxIfConditions lets through.
func BenchmarkCheckWriteIf(b *testing.B) {
	root := b.TempDir()
	h := newHandlerAt(b, root, bolt.Options{}, Config{})
	r := httptest.NewRequest("PROPPATCH", "/", nil)
	r.Header.Set("If", ifOf(256, "/"))
	b.ReportAllocs()
	for b.Loop() {
		if st, err := h.checkWrite(r, "/", scope{}); st != http.StatusPreconditionFailed {
			b.Fatalf("checkWrite = %d (%v)", st, err)
		}
	}
}

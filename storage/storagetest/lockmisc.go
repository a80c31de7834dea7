package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// kept is the lock the tests below create first and expect unchanged.
var kept = storage.Lock{Token: "urn:t:kept", Root: "/ok", Timeout: time.Hour}

// lockCall is one LockTable method applied to one lock root or token.
type lockCall struct {
	name string
	fn   func(ctx context.Context, lt storage.LockTable) error
}

// lockCalls tries every LockTable method on a lock that does not conflict
// with kept, and on kept itself.
var lockCalls = []lockCall{
	{"CreateLock", func(ctx context.Context, lt storage.LockTable) error {
		_, err := lt.CreateLock(ctx, storage.Lock{Token: "urn:t:new", Root: "/new", Timeout: time.Hour}, storage.LockLimits{})
		return err
	}},
	{"RefreshLock", func(ctx context.Context, lt storage.LockTable) error {
		_, err := lt.RefreshLock(ctx, kept.Token, 2*time.Hour)
		return err
	}},
	{"DeleteLock", func(ctx context.Context, lt storage.LockTable) error { return lt.DeleteLock(ctx, kept.Token) }},
	{"Locks", func(ctx context.Context, lt storage.LockTable) error {
		_, err := lt.Locks(ctx, kept.Root)
		return err
	}},
	{"DeleteLocksUnder", func(ctx context.Context, lt storage.LockTable) error { return lt.DeleteLocksUnder(ctx, "/") }},
}

// testLockInvalid checks that paths that are not canonical are refused with
// storage.ErrInvalidPath, empty tokens, timeouts that are not positive and
// a token already held with storage.ErrInvalidLock, and that none changes
// the table.
func testLockInvalid(t *testing.T, open Opener) {
	ctx := context.Background()
	lt := newLockTable(t, open)
	want := checkCreate(t, lt, kept)
	for _, p := range invalidPaths {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			if _, err := lt.CreateLock(ctx, storage.Lock{Token: "urn:t:bad", Root: p, Timeout: time.Hour}, storage.LockLimits{}); !errors.Is(err, storage.ErrInvalidPath) {
				t.Errorf("CreateLock with Root %q = %v, want storage.ErrInvalidPath", p, err)
			}
			if _, err := lt.Locks(ctx, p); !errors.Is(err, storage.ErrInvalidPath) {
				t.Errorf("Locks(%q) = %v, want storage.ErrInvalidPath", p, err)
			}
			if err := lt.DeleteLocksUnder(ctx, p); !errors.Is(err, storage.ErrInvalidPath) {
				t.Errorf("DeleteLocksUnder(%q) = %v, want storage.ErrInvalidPath", p, err)
			}
		})
	}
	bad := []storage.Lock{
		{Root: "/new", Timeout: time.Hour},  // no token
		{Token: "urn:t:zero", Root: "/new"}, // no timeout
		{Token: "urn:t:negative", Root: "/new", Timeout: -time.Second},
		{Token: kept.Token, Root: "/new", Shared: true, Timeout: time.Hour}, // token held
	}
	for _, l := range bad {
		if got, err := lt.CreateLock(ctx, l, storage.LockLimits{}); !errors.Is(err, storage.ErrInvalidLock) {
			t.Errorf("CreateLock %s = %s, %v; want storage.ErrInvalidLock", formatLock(l), formatLock(got), err)
		}
	}
	for _, timeout := range []time.Duration{0, -time.Second} {
		if _, err := lt.RefreshLock(ctx, kept.Token, timeout); !errors.Is(err, storage.ErrInvalidLock) {
			t.Errorf("RefreshLock with timeout %v = %v, want storage.ErrInvalidLock", timeout, err)
		}
	}
	if _, err := lt.RefreshLock(ctx, "", time.Hour); !errors.Is(err, storage.ErrInvalidLock) {
		t.Errorf("RefreshLock of the empty token = %v, want storage.ErrInvalidLock", err)
	}
	if err := lt.DeleteLock(ctx, ""); !errors.Is(err, storage.ErrInvalidLock) {
		t.Errorf("DeleteLock of the empty token = %v, want storage.ErrInvalidLock", err)
	}
	if got := mustLocks(t, lt, "/"); !equalLocks(got, []storage.Lock{want}) {
		t.Errorf("Locks(/) =\n%s\nwant\n%s", formatLocks(got), formatLock(want))
	}
}

// testLockClosed checks that every LockTable method returns
// storage.ErrClosed after Close.
func testLockClosed(t *testing.T, open Opener) {
	s := newStore(t, open)
	lt := lockTable(t, s)
	mustCreate(t, lt, kept)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, c := range lockCalls {
		if err := c.fn(context.Background(), lt); !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close = %v, want storage.ErrClosed", c.name, err)
		}
	}
}

// testLockCanceled checks that a LockTable method called with a canceled
// context returns its error and changes nothing.
func testLockCanceled(t *testing.T, open Opener) {
	lt := newLockTable(t, open)
	want := checkCreate(t, lt, kept)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range lockCalls {
		if err := c.fn(ctx, lt); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context = %v, want context.Canceled", c.name, err)
		}
	}
	if got := mustLocks(t, lt, "/"); !equalLocks(got, []storage.Lock{want}) {
		t.Errorf("Locks(/) =\n%s\nwant\n%s", formatLocks(got), formatLock(want))
	}
}

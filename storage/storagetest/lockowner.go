package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// testLockPrincipal checks that a lock's principal (RFC 4918 §6.4: its
// token is usable only by the principal that created it) is kept as given
// and returned by CreateLock, Locks and RefreshLock; the empty principal
// (anonymous) included.
func testLockPrincipal(t *testing.T, open Opener) {
	lt := newLockTable(t, open)
	principals := []string{"alice", "", "bob ü\xff", "Alice"}
	var want []storage.Lock
	for i, p := range principals {
		l := storage.Lock{Token: fmt.Sprintf("urn:t:p%d", i), Root: "/s", Shared: true, Timeout: time.Hour, Principal: p}
		got := checkCreate(t, lt, l)
		if got.Principal != p {
			t.Errorf("CreateLock with Principal %q returned Principal %q", p, got.Principal)
		}
		want = append(want, got)
	}
	if got := mustLocks(t, lt, "/s"); !equalLocks(got, want) {
		t.Errorf("Locks(/s) =\n%s\nwant\n%s", formatLocks(got), formatLocks(want))
	}
	got, err := lt.RefreshLock(context.Background(), "urn:t:p2", 2*time.Hour)
	if err != nil {
		t.Fatalf("RefreshLock: %v", err)
	}
	if got.Principal != principals[2] {
		t.Errorf("RefreshLock returned Principal %q, want %q", got.Principal, principals[2])
	}
}

// testLockLimitResource checks LockLimits.PerResource: the locks rooted at
// one resource are counted whoever holds them, a lock over the limit is
// refused with storage.ErrTooManyLocks and not kept, locks on other
// resources (a member included) do not count, and an unlocked or expired
// lock frees its place.
func testLockLimitResource(t *testing.T, open Opener) {
	ctx := context.Background()
	lt := newLockTable(t, open)
	lim := storage.LockLimits{PerResource: 3}
	shared := func(token, root, principal string, timeout time.Duration) storage.Lock {
		return storage.Lock{Token: token, Root: root, Shared: true, Timeout: timeout, Principal: principal}
	}
	mustCreateWithin(t, lt, shared("urn:t:1", "/a", "alice", time.Hour), lim)
	mustCreateWithin(t, lt, shared("urn:t:2", "/a", "bob", time.Hour), lim)
	mustCreateWithin(t, lt, shared("urn:t:short", "/a", "", 50*time.Millisecond), lim)
	if _, err := lt.CreateLock(ctx, shared("urn:t:4", "/a", "carol", time.Hour), lim); !errors.Is(err, storage.ErrTooManyLocks) {
		t.Errorf("4th lock on /a within %+v = %v, want storage.ErrTooManyLocks", lim, err)
	}
	checkTokens(t, lt, "/a", []string{"urn:t:1", "urn:t:2", "urn:t:short"})
	mustCreateWithin(t, lt, shared("urn:t:member", "/a/b", "carol", time.Hour), lim)
	mustCreateWithin(t, lt, shared("urn:t:sibling", "/ab", "carol", time.Hour), lim)
	if _, err := lt.CreateLock(ctx, shared("urn:t:4", "/a", "carol", time.Hour), storage.LockLimits{}); err != nil {
		t.Errorf("a 4th lock on /a without limits = %v, want nil", err)
	}
	mustDelete(t, lt, "urn:t:4")
	time.Sleep(150 * time.Millisecond) // urn:t:short expires
	mustCreateWithin(t, lt, shared("urn:t:5", "/a", "carol", time.Hour), lim)
	mustDelete(t, lt, "urn:t:1")
	mustCreateWithin(t, lt, shared("urn:t:6", "/a", "carol", time.Hour), lim)
	checkTokens(t, lt, "/a", []string{"urn:t:2", "urn:t:member", "urn:t:5", "urn:t:6"})
}

// testLockLimitPrincipal checks LockLimits.PerPrincipal: the live locks of
// one principal are counted on every resource, other principals (anonymous
// is one) are not held back, and an unlocked lock frees its place.
func testLockLimitPrincipal(t *testing.T, open Opener) {
	ctx := context.Background()
	lt := newLockTable(t, open)
	lim := storage.LockLimits{PerPrincipal: 2}
	lock := func(token, root, principal string) storage.Lock {
		return storage.Lock{Token: token, Root: root, Depth0: true, Timeout: time.Hour, Principal: principal}
	}
	mustCreateWithin(t, lt, lock("urn:t:a1", "/x", "alice"), lim)
	mustCreateWithin(t, lt, lock("urn:t:a2", "/y/z", "alice"), lim)
	if _, err := lt.CreateLock(ctx, lock("urn:t:a3", "/w", "alice"), lim); !errors.Is(err, storage.ErrTooManyLocks) {
		t.Errorf("alice's 3rd lock within %+v = %v, want storage.ErrTooManyLocks", lim, err)
	}
	for i, p := range []string{"bob", "", "Alice"} {
		mustCreateWithin(t, lt, lock(fmt.Sprintf("urn:t:o%d", i), fmt.Sprintf("/o%d", i), p), lim)
	}
	mustDelete(t, lt, "urn:t:a1")
	mustCreateWithin(t, lt, lock("urn:t:a3", "/w", "alice"), lim)
	checkTokens(t, lt, "/", []string{"urn:t:a2", "urn:t:o0", "urn:t:o1", "urn:t:o2", "urn:t:a3"})
}

// testLockLimitRace has 32 goroutines race for shared locks on one
// resource, and as many of one principal on distinct resources: exactly
// as many as each limit allows win, the others get storage.ErrTooManyLocks.
func testLockLimitRace(t *testing.T, open Opener) {
	lt := newLockTable(t, open)
	const n = 32
	race := func(name string, lim storage.LockLimits, lock func(i int) storage.Lock) {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { _, errs[i] = lt.CreateLock(context.Background(), lock(i), lim) })
		}
		wg.Wait()
		won, want := 0, max(lim.PerResource, lim.PerPrincipal)
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, storage.ErrTooManyLocks):
				t.Errorf("%s: racing CreateLock #%d = %v, want nil or storage.ErrTooManyLocks", name, i, err)
			}
		}
		if won != want {
			t.Errorf("%s: %d racing locks granted within %+v, want %d", name, won, lim, want)
		}
	}
	race("one resource", storage.LockLimits{PerResource: 5}, func(i int) storage.Lock {
		return storage.Lock{Token: fmt.Sprintf("urn:t:r%02d", i), Root: "/r", Shared: true, Timeout: time.Hour, Principal: fmt.Sprint(i)}
	})
	race("one principal", storage.LockLimits{PerPrincipal: 7}, func(i int) storage.Lock {
		return storage.Lock{Token: fmt.Sprintf("urn:t:p%02d", i), Root: fmt.Sprintf("/p/%02d", i), Timeout: time.Hour, Principal: "alice"}
	})
	if locks := mustLocks(t, lt, "/r"); len(locks) != 5 {
		t.Errorf("Locks(/r) holds %d locks, want 5", len(locks))
	}
	if locks := mustLocks(t, lt, "/p"); len(locks) != 7 {
		t.Errorf("Locks(/p) holds %d locks, want 7", len(locks))
	}
}

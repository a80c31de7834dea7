package pathlock

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSamePathIsSerialised(t *testing.T) {
	t.Parallel()
	var tb Table
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := tb.Lock("/a/b")
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Fatalf("%d holders of /a/b at once, want 1", maxInside.Load())
	}
	if len(tb.entries) != 0 {
		t.Fatalf("entries leaked: %v", tb.entries)
	}
}

func TestAncestorBlocksDescendant(t *testing.T) {
	t.Parallel()
	var tb Table
	unlock := tb.Lock("/a")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := tb.LockContext(ctx, "/a/b/c"); err == nil {
		t.Fatal("lock of /a/b/c succeeded while /a was held")
	}
	unlock()
	tb.Lock("/a/b/c")()
}

func TestSiblingsDoNotWait(t *testing.T) {
	t.Parallel()
	var tb Table
	unlock := tb.Lock("/a/b")
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, p := range []string{"/a/c", "/ab", "/b"} {
		u, err := tb.LockContext(ctx, p)
		if err != nil {
			t.Fatalf("%s waited on /a/b: %v", p, err)
		}
		u()
	}
}

func TestCrossedPairsDoNotDeadlock(t *testing.T) {
	t.Parallel()
	var tb Table
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				tb.Lock("/a", "/b/x")()
			} else {
				tb.Lock("/b", "/a/y")()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock")
	}
}

func TestShareKeepsAncestorsButNotSiblings(t *testing.T) {
	t.Parallel()
	var tb Table
	unshare, err := tb.ShareContext(context.Background(), "/a")
	if err != nil {
		t.Fatal(err)
	}
	u, err := tb.LockContext(context.Background(), "/a/b")
	if err != nil {
		t.Fatal(err)
	}
	u()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := tb.LockContext(ctx, "/a"); err == nil {
		t.Fatal("exclusive lock of /a succeeded while /a was shared")
	}
	unshare()
	tb.Lock("/a")()
}

// BenchmarkLockContext is one request's path locks, uncontended, with a
// request's cancellable context: `go test -bench . ./internal/pathlock`.
func BenchmarkLockContext(b *testing.B) {
	var tab Table
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		unlock, err := tab.LockContext(ctx, "/davbench/proppatch/c003/f000042.dat")
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}

// TestPlanOne: the one-path plan is the general plan's answer.
func TestPlanOne(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b", "/a/b/c", "/ä/β/c d"} {
		for _, ex := range []bool{true, false} {
			if got, want := planOne(p, ex), plan([]string{p, p}, ex); !slices.Equal(got, want) {
				t.Errorf("planOne(%q, %v) = %v, want %v", p, ex, got, want)
			}
		}
	}
}

// TestAbandonedWaiterFreesThoseBehind: a request waiting to take /a
// exclusively (a PROPPATCH of a folder whose member is being written)
// queues the writers of /a's members behind it; when its client goes away
// (ctx cancelled) they must go through at once, while /a is still shared.
func TestAbandonedWaiterFreesThoseBehind(t *testing.T) {
	t.Parallel()
	var tb Table
	unshare, err := tb.ShareContext(context.Background(), "/a")
	if err != nil {
		t.Fatal(err)
	}
	defer unshare()
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := tb.LockContext(ctx, "/a")
		gaveUp <- err
	}()
	for { // wait until the exclusive request is queued
		tb.mu.Lock()
		queued := tb.entries["/a"] != nil && len(tb.entries["/a"].queue) == 1
		tb.mu.Unlock()
		if queued {
			break
		}
		time.Sleep(time.Millisecond)
	}
	got := make(chan struct{})
	go func() {
		tb.Lock("/a/b")() // queued behind the exclusive request on /a
		close(got)
	}()
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("LockContext of /a succeeded while /a was shared")
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second): // a failure guard, not a measure
		t.Fatal("a write to /a/b still waits behind a request that gave up")
	}
}

// TestCancelledWaitersLeakNothing: waiters that give up leave no entry and
// no grant behind.
func TestCancelledWaitersLeakNothing(t *testing.T) {
	t.Parallel()
	var tb Table
	unlock := tb.Lock("/a")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5)*time.Millisecond)
			defer cancel()
			if u, err := tb.LockContext(ctx, "/a/b"); err == nil {
				u()
			}
		}()
	}
	wg.Wait()
	unlock()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.entries) != 0 {
		t.Fatalf("entries leaked: %v", tb.entries)
	}
}

package localfs

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gate is an fsync that reports each start and ends when released.
type gate struct {
	started chan string
	release chan error
}

func newGate() *gate {
	return &gate{started: make(chan string), release: make(chan error)}
}

func (g *gate) fsync(dir string) error {
	g.started <- dir
	return <-g.release
}

// waitPending waits until n callers have joined dir's pending round.
func waitPending(t *testing.T, s *dirSyncer, dir string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		d := s.dirs[dir]
		s.mu.Unlock()
		if d == nil {
			continue
		}
		d.mu.Lock()
		joined := 0
		if d.pending != nil {
			joined = d.pending.callers
		}
		d.mu.Unlock()
		if joined == n {
			return
		}
	}
	t.Fatalf("%d callers never joined the pending fsync of %s", n, dir)
}

// TestSyncDirWaitsForAnFsyncStartedAfterTheCall: a caller arriving while
// an fsync of its folder runs is not released by that fsync, which may
// have missed its change, but by the next; that one fsync answers every
// caller who joined it, with its error.
func TestSyncDirWaitsForAnFsyncStartedAfterTheCall(t *testing.T) {
	t.Parallel()
	g := newGate()
	s := &dirSyncer{fsync: g.fsync}
	first := make(chan error, 1)
	go func() { first <- s.sync("d") }()
	<-g.started // fsync 1 runs

	late := make(chan error, 3)
	for range 3 {
		go func() { late <- s.sync("d") }()
	}
	waitPending(t, s, "d", 3)
	g.release <- nil // fsync 1 ends
	if err := <-first; err != nil {
		t.Fatalf("first caller: %v", err)
	}
	select {
	case err := <-late:
		t.Fatalf("a caller was released (%v) by an fsync that started before its call", err)
	case <-g.started: // fsync 2, for the three late callers
	}
	boom := errors.New("boom")
	g.release <- boom
	for range 3 {
		if err := <-late; !errors.Is(err, boom) {
			t.Fatalf("late caller got %v, want its fsync's error", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dirs) != 0 {
		t.Fatalf("%d folders still tracked with nobody waiting", len(s.dirs))
	}
}

// TestSyncDirFoldersAreIndependent: an fsync of one folder under way does
// not hold up another's.
func TestSyncDirFoldersAreIndependent(t *testing.T) {
	t.Parallel()
	g := newGate()
	s := &dirSyncer{fsync: g.fsync}
	a, b := make(chan error, 1), make(chan error, 1)
	go func() { a <- s.sync("a") }()
	<-g.started
	go func() { b <- s.sync("b") }()
	if dir := <-g.started; dir != "b" {
		t.Fatalf("fsync of %s started, want b", dir)
	}
	g.release <- nil
	g.release <- nil
	if err := errors.Join(<-a, <-b); err != nil {
		t.Fatal(err)
	}
}

// TestSyncDirConcurrent checks under -race, with many callers on a few
// folders, that each return follows an fsync of the caller's folder that
// started after the call, that fsyncs of one folder never overlap, and
// that no folder stays tracked.
func TestSyncDirConcurrent(t *testing.T) {
	t.Parallel()
	const folders, callers, calls = 3, 32, 50
	type stats struct {
		started      atomic.Int64 // fsyncs begun
		lastFinished atomic.Int64 // number of the last fsync ended
		running      atomic.Int32
	}
	var st [folders]stats
	var fsyncs atomic.Int64
	s := &dirSyncer{fsync: func(dir string) error {
		var i int
		fmt.Sscan(dir, &i)
		if st[i].running.Add(1) != 1 {
			t.Errorf("two fsyncs of %s at once", dir)
		}
		n := st[i].started.Add(1)
		fsyncs.Add(1)
		time.Sleep(50 * time.Microsecond)
		st[i].lastFinished.Store(n)
		st[i].running.Add(-1)
		return nil
	}}
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for k := range calls {
				i := (c + k) % folders
				before := st[i].started.Load()
				if err := s.sync(fmt.Sprint(i)); err != nil {
					t.Error(err)
					return
				}
				if got := st[i].lastFinished.Load(); got <= before {
					t.Errorf("released after fsync %d of folder %d, which began before the call (%d had)", got, i, before)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d calls served by %d fsyncs", callers*calls, fsyncs.Load())
	if len(s.dirs) != 0 {
		t.Fatalf("%d folders still tracked with nobody waiting", len(s.dirs))
	}
}

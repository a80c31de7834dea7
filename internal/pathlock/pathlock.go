package pathlock

import (
	"context"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Table hands out hierarchical path locks. The zero value is ready to use.
type Table struct {
	mu      sync.Mutex // guards entries and the state of every entry
	entries map[string]*entry
}

// entry is one path's lock: its holders and its queue of waiters, served
// in arrival order so a waiting writer is not starved by a stream of
// readers (and readers behind it wait, as with sync.RWMutex). Unlike a
// sync.RWMutex, a waiter can leave the queue, so a request whose client
// has gone stops holding up those queued behind it. The entry is dropped
// when nobody holds or waits for it.
type entry struct {
	readers int  // holders in shared mode
	writer  bool // held exclusively
	queue   []*waiter
}

// waiter is one request waiting for an entry. ready is closed when the
// lock is granted, which also sets granted (under Table.mu).
type waiter struct {
	exclusive bool
	granted   bool
	ready     chan struct{}
}

// want is one path a request needs and whether it needs it exclusively.
type want struct {
	path      string
	exclusive bool
}

// Lock takes every path in paths exclusively and all their ancestors shared,
// waiting as long as needed. Paths are clean slash paths ("/", "/a/b"). The
// returned func releases everything; call it exactly once.
func (t *Table) Lock(paths ...string) (unlock func()) {
	unlock, _ = t.LockContext(context.Background(), paths...)
	return unlock
}

// LockContext is Lock that gives up when ctx is done while waiting, returning
// ctx's error and holding nothing.
func (t *Table) LockContext(ctx context.Context, paths ...string) (func(), error) {
	return t.acquireAll(ctx, plan(paths, true))
}

// ShareContext takes every path in paths and all their ancestors shared:
// it keeps the paths from being moved or removed (a MOVE or DELETE holds
// them exclusively) without stopping other writers beneath them.
func (t *Table) ShareContext(ctx context.Context, paths ...string) (func(), error) {
	return t.acquireAll(ctx, plan(paths, false))
}

func (t *Table) acquireAll(ctx context.Context, wants []want) (func(), error) {
	held := make([]want, 0, len(wants))
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			t.release(held[i])
		}
	}
	for _, w := range wants {
		if err := t.acquire(ctx, w); err != nil {
			release()
			return nil, err
		}
		held = append(held, w)
	}
	return release, nil
}

// plan merges the requested paths (exclusive or not) and their ancestors
// (shared) into one sorted list, exclusive winning over shared.
func plan(paths []string, exclusive bool) []want {
	if len(paths) == 1 {
		return planOne(path.Clean("/"+paths[0]), exclusive)
	}
	modes := map[string]bool{}
	for _, p := range paths {
		p = path.Clean("/" + p)
		modes[p] = modes[p] || exclusive
		for a := p; a != "/"; {
			a = path.Dir(a)
			if _, ok := modes[a]; !ok {
				modes[a] = false
			}
		}
	}
	wants := make([]want, 0, len(modes))
	for p, ex := range modes {
		wants = append(wants, want{p, ex})
	}
	sort.Slice(wants, func(i, j int) bool { return wants[i].path < wants[j].path })
	return wants
}

// planOne is plan for one clean path: its ancestors, root first, are
// already in sorted order, since a prefix sorts before what extends it.
func planOne(p string, exclusive bool) []want {
	n := strings.Count(p, "/") + 1
	if p == "/" {
		n = 1
	}
	wants := make([]want, n)
	wants[n-1] = want{p, exclusive}
	for i, a := n-2, p; i >= 0; i-- {
		a = path.Dir(a)
		wants[i] = want{a, false}
	}
	return wants
}

// acquire waits for one path until it is granted or ctx is done. A waiter
// that gives up leaves the queue at once, letting those behind it through
// when it was the one holding them up.
func (t *Table) acquire(ctx context.Context, w want) error {
	t.mu.Lock()
	if t.entries == nil {
		t.entries = map[string]*entry{}
	}
	e := t.entries[w.path]
	if e == nil {
		e = &entry{}
		t.entries[w.path] = e
	}
	if len(e.queue) == 0 && e.admits(w.exclusive) {
		e.take(w.exclusive)
		t.mu.Unlock()
		return nil
	}
	wt := &waiter{exclusive: w.exclusive, ready: make(chan struct{})}
	e.queue = append(e.queue, wt)
	t.mu.Unlock()
	select {
	case <-wt.ready:
		return nil
	case <-ctx.Done():
	}
	t.mu.Lock()
	if wt.granted { // granted while ctx ended: give it back
		t.mu.Unlock()
		t.release(w)
		return ctx.Err()
	}
	e.queue = slices.DeleteFunc(e.queue, func(q *waiter) bool { return q == wt })
	t.grantLocked(w.path, e)
	t.mu.Unlock()
	return ctx.Err()
}

func (t *Table) release(w want) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[w.path]
	if w.exclusive {
		e.writer = false
	} else {
		e.readers--
	}
	t.grantLocked(w.path, e)
}

// grantLocked hands e to the waiters at the head of its queue that it now
// admits, and drops e when it is idle.
func (t *Table) grantLocked(p string, e *entry) {
	for len(e.queue) > 0 && e.admits(e.queue[0].exclusive) {
		wt := e.queue[0]
		e.queue = e.queue[1:]
		e.take(wt.exclusive)
		wt.granted = true
		close(wt.ready)
	}
	if !e.writer && e.readers == 0 && len(e.queue) == 0 {
		delete(t.entries, p)
	}
}

// admits reports whether e can be taken in the given mode now.
func (e *entry) admits(exclusive bool) bool {
	return !e.writer && (!exclusive || e.readers == 0)
}

func (e *entry) take(exclusive bool) {
	if exclusive {
		e.writer = true
	} else {
		e.readers++
	}
}

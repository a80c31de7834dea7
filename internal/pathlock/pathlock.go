package pathlock

import (
	"context"
	"path"
	"sort"
	"strings"
	"sync"
)

// Table hands out hierarchical path locks. The zero value is ready to use.
type Table struct {
	mu      sync.Mutex // guards entries
	entries map[string]*entry
}

// entry is one path's lock; refs counts requests holding or waiting for it,
// so the entry can be dropped when nobody needs it.
type entry struct {
	lock sync.RWMutex
	refs int
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

func (t *Table) ref(p string) *entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.entries == nil {
		t.entries = map[string]*entry{}
	}
	e := t.entries[p]
	if e == nil {
		e = &entry{}
		t.entries[p] = e
	}
	e.refs++
	return e
}

func (t *Table) unref(p string) *entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[p]
	e.refs--
	if e.refs == 0 {
		delete(t.entries, p)
	}
	return e
}

// acquire waits for one path. sync.RWMutex cannot be abandoned half-way, so
// a waiter whose ctx ends lets a helper goroutine finish the wait and
// release at once. An uncontended path is taken at once, without that
// goroutine: every request locks a few ancestors, and a goroutine and a
// channel for each was most of what path locking cost.
func (t *Table) acquire(ctx context.Context, w want) error {
	e := t.ref(w.path)
	if w.exclusive && e.lock.TryLock() || !w.exclusive && e.lock.TryRLock() {
		return nil
	}
	lock := func() {
		if w.exclusive {
			e.lock.Lock()
		} else {
			e.lock.RLock()
		}
	}
	if ctx.Done() == nil {
		lock()
		return nil
	}
	got := make(chan struct{})
	go func() { lock(); close(got) }()
	select {
	case <-got:
		return nil
	case <-ctx.Done():
		go func() { <-got; t.release(w) }()
		return ctx.Err()
	}
}

func (t *Table) release(w want) {
	e := t.unref(w.path)
	if w.exclusive {
		e.lock.Unlock()
	} else {
		e.lock.RUnlock()
	}
}

package watch

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// Options configure a Watcher. The zero value scans at start only and
// watches nothing.
type Options struct {
	// Watch asks for an inotify watch on every folder (Linux; elsewhere
	// the watcher only scans).
	Watch bool
	// RescanInterval is the time between full rescans while running; 0
	// for none after the one at start.
	RescanInterval time.Duration
	// Debounce is how long the watcher gathers events before it rescans
	// the folders they name (default 200ms).
	Debounce time.Duration
	// Batch is the most changes recorded in one RecordChanges (default
	// 1000).
	Batch int
	// MaxPending is the most folders waiting for a rescan; more, and one
	// full rescan replaces them (default 10000).
	MaxPending int
	// OnError, if set, hears the errors of scans and of the watcher
	// while running (the start-up scan's is Start's).
	OnError func(error)
}

func (o *Options) defaults() {
	if o.Debounce <= 0 {
		o.Debounce = 200 * time.Millisecond
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 10000
	}
}

// Watcher keeps the index in step with the share: a full scan at start,
// a rescan of each folder an event names, and a full rescan on a
// schedule or when the kernel's event queue overflowed.
type Watcher struct {
	opts Options
	fsys *localfs.FS
	sc   scanner
	fsw  *fsnotify.Watcher // nil: scans only
	kick chan struct{}     // an event is waiting (capacity 1)
	done chan struct{}     // closed when the goroutines have ended

	mu  sync.Mutex
	due round // guarded by mu; what the next rescan is to do
	// point is the index when it can look one path up; nil: events
	// rescan whole folders.
	point pointIndex

	// Owned by the scanning goroutine.
	watched   map[string]uint64   // folders with a watch, and their inodes
	byIno     map[uint64]string   // the folder watched for each inode
	stale     map[string]struct{} // watched folders whose watch was dropped
	limitHit  bool                // an Add failed for the watch limit
	unwatched int                 // folders seen but not watched, this scan
	limits    limits

	rounds atomic.Int64 // rescans done, for tests to wait on
}

// New returns a Watcher of the share fsys keeping idx in step. It does
// nothing until Start.
func New(fsys *localfs.FS, idx Index, opts Options) *Watcher {
	opts.defaults()
	w := &Watcher{
		opts:    opts,
		fsys:    fsys,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		due:     newRound(),
		watched: make(map[string]uint64),
		byIno:   make(map[uint64]string),
		stale:   make(map[string]struct{}),
	}
	w.sc = scanner{fsys: fsys, idx: idx, batch: opts.Batch, dir: w.watchDir, gone: w.dropWatches, vanished: w.parentDirty,
		unwatched: w.unwatchedDir}
	w.point, _ = idx.(pointIndex)
	return w
}

// Report is what Start found.
type Report struct {
	Stats
	Elapsed time.Duration // of the start-up scan
	// Watching is true when an inotify watcher runs; WatchErr says why
	// not, when one was asked for.
	Watching  bool
	WatchErr  error
	Watched   int // folders with a watch
	Unwatched int // folders without one (the watch limit)
	// MaxUserWatches and MaxUserInstances are the kernel's limits, -1
	// when unknown.
	MaxUserWatches, MaxUserInstances int
}

// Start scans the whole share once, setting up a watch on each folder,
// then keeps the index in step in the background until ctx ends (Done).
// The watcher never fails the caller for want of inotify or of watches:
// it scans only, as the Report says. Start's error is the start-up
// scan's (the store failed, or ctx ended); the watcher runs even then.
func (w *Watcher) Start(ctx context.Context) (Report, error) {
	rep := Report{MaxUserWatches: -1, MaxUserInstances: -1}
	w.limits = limitsOf()
	rep.MaxUserWatches, rep.MaxUserInstances = w.limits.watches, w.limits.instances
	if w.opts.Watch {
		w.fsw, rep.WatchErr = newWatcher()
	}
	var wg sync.WaitGroup
	if w.fsw != nil {
		wg.Add(1)
		go func() { defer wg.Done(); w.events(ctx) }()
	}
	start := time.Now()
	err := w.scanAll(ctx)
	rep.Stats, rep.Elapsed = w.sc.stats, time.Since(start)
	rep.Watching = w.fsw != nil
	rep.Watched, rep.Unwatched = len(w.watched), w.unwatched
	wg.Add(1)
	go func() { defer wg.Done(); w.loop(ctx) }()
	go func() {
		wg.Wait()
		if w.fsw != nil {
			w.fsw.Close()
		}
		close(w.done)
	}()
	return rep, err
}

// Done is closed once the watcher has stopped after its context ended.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// newWatcher is an inotify watcher, or why there is none.
func newWatcher() (*fsnotify.Watcher, error) {
	if !haveInotify {
		return nil, errNoInotify
	}
	return fsnotify.NewWatcher()
}

// errNoInotify is Report.WatchErr where the platform has no inotify.
var errNoInotify = errors.New("watch: no inotify on this platform")

// scanAll scans the whole share, trying again to watch the folders the
// watch limit left out before.
func (w *Watcher) scanAll(ctx context.Context) error {
	w.sc.stats, w.unwatched, w.limitHit = Stats{}, 0, false
	err := w.sc.scan(ctx, "/", true)
	if errors.Is(err, errVanished) {
		err = errors.New("watch: the share's folder is gone")
	}
	return err
}

// loop rescans what events and the schedule ask for until ctx ends. It
// waits at least as long as the last rescan took before the next, so a
// file written without end in a large folder costs the server at most
// half of one core, not all of it.
func (w *Watcher) loop(ctx context.Context) {
	var last time.Duration // the last rescan's
	var tick <-chan time.Time
	if w.opts.RescanInterval > 0 {
		t := time.NewTicker(w.opts.RescanInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			w.markFull(false)
		case <-w.kick:
		}
		if !sleep(ctx, max(w.opts.Debounce, last)) {
			return
		}
		r := w.take()
		start := time.Now()
		if err := w.rescan(ctx, r); err != nil && ctx.Err() == nil && w.opts.OnError != nil {
			w.opts.OnError(err)
		}
		last = time.Since(start)
		w.rounds.Add(1)
	}
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// round is what one rescan is to do.
type round struct {
	dirs  map[string]struct{} // folders to rescan
	names map[string]struct{} // paths created or written (point index): see settle
	gone  map[string]struct{} // paths removed or renamed (point index): see settle
	again map[string]struct{} // paths not settled in the last round, looked at once more
	lost  map[string]struct{} // names removed or renamed: watches fsnotify may have dropped
	full  bool                // rescan the whole share
	reset bool                // events were lost: set every watch afresh
}

// rescan scans the whole share when r.full, else each folder of r.dirs
// (only it, and the folders below it that are new); a folder that is
// gone is looked for in its parent.
func (w *Watcher) rescan(ctx context.Context, r round) error {
	w.settle(ctx, r)
	if w.fsw != nil {
		if r.reset {
			w.resetWatches()
		}
		for p := range r.lost {
			w.forget(p)
		}
	}
	if r.full {
		return w.scanAll(ctx)
	}
	dirs := make([]string, 0, len(r.dirs))
	for d := range r.dirs {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs) // parents first
	done := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		for d = w.known(d); !done[d]; d = w.known(path.Dir(d)) {
			done[d] = true
			err := w.sc.scan(ctx, d, false)
			if !errors.Is(err, errVanished) || d == "/" {
				if err != nil {
					return err
				}
				break
			}
			// Gone from the disk: its watches go too, whether or not the
			// index still holds it (atomdav journals its DELETE or MOVE
			// with the tree change, before this rescan), so a folder
			// later made or moved in under the name is watched afresh.
			w.dropWatches(d)
		}
	}
	return nil
}

func newRound() round {
	return round{dirs: map[string]struct{}{}, lost: map[string]struct{}{}, names: map[string]struct{}{},
		gone: map[string]struct{}{}, again: map[string]struct{}{}}
}

// pointIndex is an Index that can look one path up (storage.Journal).
type pointIndex interface {
	IndexEntry(ctx context.Context, p string) (storage.Change, bool, error)
}

// settle turns the paths events named into folders to rescan, leaving
// out those whose state on disk the index already has: atomdav's own
// writes are journaled (a new file with its inode, size and mtime)
// before the rename or removal the event reports, so an upload into, or
// a DELETE from, a folder of many files costs a stat and a lookup, not
// a listing of the folder. A path not settled is looked at once more in
// the next round before its folder is rescanned: the event of a new
// file's rename may come before the commit that journals it. A removed
// or renamed path that was a watched folder is handled as without a
// point index (its watch may be gone).
func (w *Watcher) settle(ctx context.Context, r round) {
	for p := range r.gone {
		if _, watched := w.watched[p]; watched {
			r.lost[p] = struct{}{} // a full rescan needs these too
			r.dirs[p] = struct{}{}
			r.dirs[path.Dir(p)] = struct{}{}
			continue
		}
		r.names[p] = struct{}{}
	}
	if r.full {
		return
	}
	var later []string
	for p := range r.names {
		if _, due := r.dirs[path.Dir(p)]; !due && !w.settled(ctx, p) {
			later = append(later, p)
		}
	}
	for p := range r.again {
		if _, due := r.dirs[path.Dir(p)]; !due && !w.settled(ctx, p) {
			r.dirs[path.Dir(p)] = struct{}{}
		}
	}
	if len(later) > 0 {
		w.mu.Lock()
		for _, p := range later {
			w.due.again[p] = struct{}{}
		}
		w.boundLocked()
		w.mu.Unlock()
		w.poke()
	}
}

// settled reports whether the path p is on disk as the index has it: a
// file with the same inode, size and mtime, or absent from both. A
// folder is never settled (a new one needs a watch, which only a scan of
// its parent sets), nor is anything in doubt.
func (w *Watcher) settled(ctx context.Context, p string) bool {
	c, known, err := w.point.IndexEntry(ctx, p)
	if err != nil || known && c.Dir {
		return false
	}
	fi, err := w.fsys.Stat(ctx, p)
	switch {
	case err != nil:
		return !known && vanished(err)
	case !known || fi.IsDir():
		return false
	}
	e := entry{size: fi.Size(), mtimeNs: fi.ModTime().UnixNano()}
	if st, ok := localfs.StampOf(fi); ok {
		e.inode = st.Ino
	}
	return same(c, e.change(p))
}

// take returns what the next rescan is to do, and starts a new round.
func (w *Watcher) take() round {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.due
	w.due = newRound()
	return r
}

// local is the file name of the store path p.
func (w *Watcher) local(p string) string {
	return filepath.Join(w.fsys.Root(), filepath.FromSlash(p))
}

package localfs

import (
	"sync"

	"github.com/atomdav/atomdav/storage"
)

// dirSyncer coalesces the fsyncs of a folder. Each caller needs an fsync
// of its folder that starts after its call (its change, made before the
// call, is then durable); callers arriving while one runs share the next,
// so 16 uploads into one folder cost about two fsyncs of it rather than
// 16. The zero value is ready to use and fsyncs for real.
//
// # Concurrency
//
// Safe for concurrent use. At most one fsync of a folder runs at a time
// (through this dirSyncer); a folder is tracked only while someone waits
// on it.
type dirSyncer struct {
	fsync func(dir string) error // nil: storage.SyncDir; tests inject a gate

	mu   sync.Mutex          // guards dirs
	dirs map[string]*dirSync // folders someone waits on
}

// dirSync is one folder's fsync rounds.
type dirSync struct {
	users int // callers holding the entry; guarded by dirSyncer.mu

	mu      sync.Mutex // guards the fields below
	cond    sync.Cond  // signalled when a round ends; L is &mu
	running bool       // a round's fsync is under way
	pending *round     // the round starting next, joined by new callers
}

// round is one fsync of a folder and every caller it answers.
type round struct {
	callers int // joined so far
	done    bool
	err     error
}

// sync returns once an fsync of dir that started after the call has
// ended, with that fsync's error.
func (s *dirSyncer) sync(dir string) error {
	d := s.acquire(dir)
	defer s.release(dir, d)
	d.mu.Lock()
	defer d.mu.Unlock()
	// The pending round has not started: whichever caller starts it, it
	// starts after this call.
	r := d.pending
	if r == nil {
		r = &round{}
		d.pending = r
	}
	r.callers++
	for !r.done {
		if d.running {
			d.cond.Wait()
			continue
		}
		// r is pending and no fsync runs: start it. Callers arriving from
		// now on join a new pending round.
		d.pending, d.running = nil, true
		d.mu.Unlock()
		err := s.fsyncFunc()(dir)
		d.mu.Lock()
		r.done, r.err, d.running = true, err, false
		d.cond.Broadcast()
	}
	return r.err
}

// acquire returns dir's entry, made if nobody waits on dir yet.
func (s *dirSyncer) acquire(dir string) *dirSync {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dirs[dir]
	if d == nil {
		if s.dirs == nil {
			s.dirs = make(map[string]*dirSync)
		}
		d = &dirSync{}
		d.cond.L = &d.mu
		s.dirs[dir] = d
	}
	d.users++
	return d
}

// release drops the caller's hold on d, and d itself once nobody waits
// on dir, so memory is bounded by the callers waiting.
func (s *dirSyncer) release(dir string, d *dirSync) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.users--; d.users == 0 {
		delete(s.dirs, dir)
	}
}

func (s *dirSyncer) fsyncFunc() func(string) error {
	if s.fsync != nil {
		return s.fsync
	}
	return storage.SyncDir
}

package bolt

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// maxGroup bounds the writes committed in one transaction.
const maxGroup = 256

// States of a queued write; the writer and the waiting caller race for it
// with compare-and-swap.
const (
	queued    int32 = iota
	taken           // in a group: it will be answered on done
	abandoned       // its caller gave up; the writer skips it
)

// write is one mutation waiting for the group-commit writer.
type write struct {
	ctx   context.Context
	apply func(*bbolt.Bucket) error // an error rolls back the whole transaction, unless refused
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on it
}

// refusal is an error an apply function returns before it has changed
// anything: the write fails alone and the rest of its group commits. It is
// for what cannot be validated before queueing because it depends on the
// state the earlier writes of the group leave (a lock conflict, a lock gone).
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

// refuse marks err as a refusal. The caller must not have changed the
// transaction: a refused write's changes would be committed with its group.
func refuse(err error) error { return refusal{err} }

// errAllRefused rolls back a transaction in which every write was refused:
// there is nothing to commit, so nothing to fsync.
var errAllRefused = errors.New("bolt: every write refused")

// submit queues apply and waits for its commit. If ctx ends while the write
// is still queued, the write is dropped and ctx's error returned.
func (s *Store) submit(ctx context.Context, apply func(*bbolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &write{ctx: ctx, apply: apply, done: make(chan error, 1)}
	if err := s.enqueue(ctx, w); err != nil {
		return err
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		if w.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		return <-w.done // already in a committing group: it completes
	}
}

// enqueue sends w to the writer unless the store is closed.
func (s *Store) enqueue(ctx context.Context, w *write) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return storage.ErrClosed
	}
	select {
	case s.writes <- w:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the single writer goroutine. It returns once Close has closed the
// queue and every queued write is answered.
func (s *Store) run() {
	defer close(s.stopped)
	group := make([]*write, 0, maxGroup)
	for first := range s.writes {
		group = s.gather(take(group[:0], first))
		s.commit(group)
		clear(group) // let the answered writes be collected
	}
}

// gather appends the writes already queued, without waiting for more.
func (s *Store) gather(group []*write) []*write {
	for len(group) < maxGroup {
		select {
		case w, ok := <-s.writes:
			if !ok {
				return group
			}
			group = take(group, w)
		default:
			return group
		}
	}
	return group
}

// take appends w to group unless its caller has given up on it.
func take(group []*write, w *write) []*write {
	if !w.state.CompareAndSwap(queued, taken) {
		return group
	}
	if err := w.ctx.Err(); err != nil {
		w.done <- err
		return group
	}
	return append(group, w)
}

// commit applies group in one transaction and answers each write. A refused
// write fails alone inside the group; if the transaction itself fails, each
// write is retried alone so that only the failing ones report an error.
func (s *Store) commit(group []*write) {
	if len(group) == 0 {
		return
	}
	errs, err := s.update(group)
	if err == nil {
		for i, w := range group {
			w.done <- errs[i]
		}
		return
	}
	if len(group) == 1 {
		group[0].done <- err
		return
	}
	for _, w := range group {
		errs, err := s.update([]*write{w})
		if err == nil {
			err = errs[0]
		}
		w.done <- err
	}
}

// update runs the writes in one bbolt read-write transaction. It returns
// each write's refusal (nil for those applied), or the error that rolled
// the transaction back. A refused write leaves the bucket as the writes
// before it left it, so the next write of the group sees their changes.
func (s *Store) update(group []*write) ([]error, error) {
	errs := make([]error, len(group))
	applied := 0
	locked := false
	var sp uint64 // the journal's sync point after the group
	start := time.Now()
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketProps)
		applied = 0
		s.jw.reset()
		for i, w := range group {
			err := w.apply(b)
			var r refusal
			switch {
			case errors.As(err, &r):
				errs[i] = fmt.Errorf("bolt: %w", r.err)
			case err != nil:
				return err
			default:
				applied++
			}
		}
		if applied == 0 {
			return errAllRefused
		}
		if err := s.flushJournal(tx); err != nil {
			return err
		}
		sp = tx.Bucket(bucketJournal).Sequence()
		// Raised before the commit, so before any write of the group is
		// answered; lowered only once a commit has emptied the table.
		if locked = hasLocks(tx); locked {
			s.mayHaveLocks.Store(true)
		}
		return nil
	})
	switch {
	case errors.Is(err, errAllRefused):
		return errs, nil
	case err != nil:
		return nil, fmt.Errorf("bolt: commit: %w", err)
	}
	if !locked {
		s.mayHaveLocks.Store(false)
	}
	s.committedJournal()
	s.syncPoint.Store(sp) // before any write of the group is answered
	s.txns.Add(1)
	if s.onCommit != nil {
		s.onCommit(time.Since(start), applied)
	}
	return errs, nil
}

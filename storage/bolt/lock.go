package bolt

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// ErrInvalidLock is storage.ErrInvalidLock, which the lock table's errors
// wrap for a lock it cannot hold: an empty token or one longer than bbolt's
// key size limit, a timeout that is not positive, or the token of a live
// lock already held.
var ErrInvalidLock = storage.ErrInvalidLock

// CreateLock stores l with Expires = now + l.Timeout, unless a live lock
// conflicts with it (storage.ErrLocked) or holds its token, or it would
// exceed lim (storage.ErrTooManyLocks). The checks, the sweep of expired
// locks and the write are one transaction; a lock created earlier in the
// same commit group counts, and a refused lock does not fail its group.
func (s *Store) CreateLock(ctx context.Context, l storage.Lock, lim storage.LockLimits) (storage.Lock, error) {
	if err := storage.CheckLock(l.Token, l.Timeout, bbolt.MaxKeySize); err != nil {
		return storage.Lock{}, err
	}
	if err := storage.CheckPaths(l.Root); err != nil {
		return storage.Lock{}, err
	}
	l.Owner, l.OwnerNS = bytes.Clone(l.Owner), maps.Clone(l.OwnerNS)
	var got storage.Lock // set by the run that commits; read after submit returns
	err := s.submit(ctx, func(b *bbolt.Bucket) error {
		lb := locks(b)
		now := time.Now().UnixNano()
		// The live locks are checked as the scan meets them, not
		// gathered first: copying every record of the table was most of
		// a LOCK's allocation.
		adm := admission{l: l}
		var expired [][]byte
		err := s.memo.each(lb, now, func(rec lockRecord, live bool) {
			if live {
				adm.see(rec)
			} else {
				expired = append(expired, []byte(rec.lock.Token))
			}
		})
		if err != nil {
			return err
		}
		if err := adm.result(lim); err != nil {
			return refuse(err)
		}
		s.memo.forget(expired)
		if err := deleteKeys(lb, expired); err != nil {
			return err
		}
		rec := lockRecord{lock: l, created: now}
		rec.lock.Expires = time.Unix(0, expiry(now, l.Timeout))
		if err := lb.Put([]byte(l.Token), rec.encode()); err != nil {
			return err
		}
		got = rec.lock
		return nil
	})
	if err != nil {
		return storage.Lock{}, err
	}
	return got, nil
}

// admission checks a new lock l against the live locks, shown one by one
// (see), and reports (result) whether its token is new, it conflicts
// with none, and it stays within the limits: the first failure wins.
type admission struct {
	l                       storage.Lock
	onResource, ofPrincipal int
	err                     error
}

func (a *admission) see(o lockRecord) {
	switch {
	case a.err != nil:
	case o.lock.Token == a.l.Token:
		a.err = fmt.Errorf("%w: token %q already held", ErrInvalidLock, a.l.Token)
	case o.lock.Conflicts(a.l):
		a.err = fmt.Errorf("lock on %q: %w (on %q)", a.l.Root, storage.ErrLocked, o.lock.Root)
	default:
		if o.lock.Root == a.l.Root {
			a.onResource++
		}
		if o.lock.Principal == a.l.Principal {
			a.ofPrincipal++
		}
	}
}

func (a *admission) result(lim storage.LockLimits) error {
	if a.err != nil {
		return a.err
	}
	return lim.Exceeded(a.onResource, a.ofPrincipal)
}

// RefreshLock restarts a live lock's timeout: Timeout becomes timeout and
// Expires now + timeout. An absent or expired lock is storage.ErrNoLock.
func (s *Store) RefreshLock(ctx context.Context, token string, timeout time.Duration) (storage.Lock, error) {
	if err := storage.CheckLock(token, timeout, bbolt.MaxKeySize); err != nil {
		return storage.Lock{}, err
	}
	var got storage.Lock
	err := s.submit(ctx, func(b *bbolt.Bucket) error {
		lb := locks(b)
		now := time.Now().UnixNano()
		rec, err := s.memo.live(lb, token, now)
		if err != nil {
			return err
		}
		rec.lock.Timeout = timeout
		rec.lock.Expires = time.Unix(0, expiry(now, timeout))
		if err := lb.Put([]byte(token), rec.encode()); err != nil {
			return err
		}
		got = rec.lock
		return nil
	})
	if err != nil {
		return storage.Lock{}, err
	}
	return got, nil
}

// DeleteLock removes a live lock; storage.ErrNoLock when it is absent or
// expired.
func (s *Store) DeleteLock(ctx context.Context, token string) error {
	if err := storage.CheckToken(token, 0); err != nil {
		return err
	}
	return s.submit(ctx, func(b *bbolt.Bucket) error {
		lb := locks(b)
		if _, err := s.memo.live(lb, token, time.Now().UnixNano()); err != nil {
			return err
		}
		s.memo.forget([][]byte{[]byte(token)})
		return lb.Delete([]byte(token))
	})
}

// Locks returns the live locks rooted at p, at an ancestor of p or at a
// descendant of p, oldest (first created) first, from one read of the
// whole table: it is keyed by token, and small.
func (s *Store) Locks(ctx context.Context, p string) ([]storage.Lock, error) {
	if err := storage.CheckPaths(p); err != nil {
		return nil, err
	}
	if empty, err := s.noLocks(ctx); err != nil {
		return nil, err
	} else if empty {
		return []storage.Lock{}, nil
	}
	var recs []lockRecord
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		return s.memo.each(tx.Bucket(bucketLocks), time.Now().UnixNano(), func(rec lockRecord, live bool) {
			if r := rec.lock.Root; live && (r == p || storage.IsBelow(p, r) || storage.IsBelow(r, p)) {
				recs = append(recs, rec)
			}
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b lockRecord) int {
		return cmp.Or(cmp.Compare(a.created, b.created), strings.Compare(a.lock.Token, b.lock.Token))
	})
	out := make([]storage.Lock, len(recs))
	for i, rec := range recs {
		out[i] = rec.lock
	}
	return out, nil
}

// DeleteLocksUnder removes every lock rooted at p or below it, and sweeps
// the expired ones. When a read finds none there it returns without a
// write: a lock created after that read is ordered after this call.
func (s *Store) DeleteLocksUnder(ctx context.Context, p string) error {
	if err := storage.CheckPaths(p); err != nil {
		return err
	}
	if empty, err := s.noLocks(ctx); empty || err != nil {
		return err
	}
	under := func(lb *bbolt.Bucket) ([][]byte, error) {
		live, expired, err := s.memo.scan(lb, time.Now().UnixNano())
		for _, rec := range live {
			if rec.lock.Root == p || storage.IsBelow(rec.lock.Root, p) {
				expired = append(expired, []byte(rec.lock.Token))
			}
		}
		return expired, err
	}
	var keys [][]byte
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		var err error
		keys, err = under(tx.Bucket(bucketLocks))
		return err
	})
	if err != nil || len(keys) == 0 {
		return err
	}
	return s.submit(ctx, func(b *bbolt.Bucket) error {
		keys, err := under(locks(b))
		if err != nil {
			return err
		}
		s.memo.forget(keys)
		return deleteKeys(locks(b), keys)
	})
}

// noLocks reports whether the lock table is empty, without a read
// transaction: the writer keeps Store.mayHaveLocks, raising it before it
// commits a group that leaves a lock in the table. A lock whose creation has
// been answered is therefore always seen; one still committing may not be,
// as if this read had come first. Like a read, it fails once the store is
// closed or ctx has ended.
func (s *Store) noLocks(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if s.mayHaveLocks.Load() {
		return false, nil
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return false, storage.ErrClosed
	}
	return true, nil
}

// hasLocks reports whether tx's lock table holds any lock, live or expired.
func hasLocks(tx *bbolt.Tx) bool {
	k, _ := tx.Bucket(bucketLocks).Cursor().First()
	return k != nil
}

// locks returns the lock bucket of the transaction b belongs to.
func locks(b *bbolt.Bucket) *bbolt.Bucket {
	return b.Tx().Bucket(bucketLocks)
}

// scan decodes every lock of lb and splits them into the live ones and
// the keys (copied) of those expired at now.
func (m *lockMemo) scan(lb *bbolt.Bucket, now int64) (live []lockRecord, expired [][]byte, err error) {
	err = m.each(lb, now, func(rec lockRecord, isLive bool) {
		if isLive {
			live = append(live, rec)
		} else {
			expired = append(expired, []byte(rec.lock.Token))
		}
	})
	return live, expired, err
}

// each decodes every lock of lb and calls fn with it and whether it is
// live at now, stopping at the first damaged record.
func (m *lockMemo) each(lb *bbolt.Bucket, now int64, fn func(rec lockRecord, live bool)) error {
	return lb.ForEach(func(k, v []byte) error {
		rec, err := m.decode(k, v)
		if err != nil {
			return err
		}
		fn(rec, isLive(rec, now))
		return nil
	})
}

// live reads the lock of token, refusing the write with
// storage.ErrNoLock if it is absent or expired at now.
func (m *lockMemo) live(lb *bbolt.Bucket, token string, now int64) (lockRecord, error) {
	v := lb.Get([]byte(token))
	if v == nil {
		return lockRecord{}, refuse(fmt.Errorf("lock %q: %w", token, storage.ErrNoLock))
	}
	rec, err := m.decode([]byte(token), v)
	if err != nil {
		return rec, err
	}
	if !isLive(rec, now) {
		return lockRecord{}, refuse(fmt.Errorf("lock %q: %w (expired)", token, storage.ErrNoLock))
	}
	return rec, nil
}

// isLive reports whether rec has not expired at now (Unix nanoseconds).
func isLive(rec lockRecord, now int64) bool {
	return now < rec.lock.Expires.UnixNano()
}

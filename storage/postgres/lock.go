package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atomdav/atomdav/storage"
)

// ErrInvalidLock is storage.ErrInvalidLock, which the lock table's errors
// wrap for a lock it cannot hold: an empty token or one longer than
// MaxKeyBytes, a timeout that is not positive, a root longer than
// MaxKeyBytes, or the token of a live lock already held.
var ErrInvalidLock = storage.ErrInvalidLock

// lockColumns are read by scanLock, in its order.
const lockColumns = `token, root, depth0, shared, owner, owner_ns, timeout_ns, expires, principal`

// sqlSweep deletes the expired locks.
const sqlSweep = `DELETE FROM atomdav_locks WHERE expires <= clock_timestamp()`

// CreateLock stores l with Expires = now + l.Timeout on the database clock,
// unless a live lock conflicts with it (storage.ErrLocked) or holds its
// token, or it would exceed lim (storage.ErrTooManyLocks). The sweep of
// expired locks, the checks and the insert are one transaction holding the
// table in EXCLUSIVE mode, so that of two instances racing for conflicting
// locks exactly one wins, and racing locks never pass a limit together.
func (s *Store) CreateLock(ctx context.Context, l storage.Lock, lim storage.LockLimits) (storage.Lock, error) {
	if err := storage.CheckLock(l.Token, l.Timeout, MaxKeyBytes); err != nil {
		return storage.Lock{}, err
	}
	if err := checkRoot(l.Root); err != nil {
		return storage.Lock{}, err
	}
	var got storage.Lock
	err := s.lockTx(ctx, "create lock", func(tx pgx.Tx) error {
		related, err := queryLocks(ctx, tx, l.Root)
		if err != nil {
			return err
		}
		if err := admit(ctx, tx, l, related, lim); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `INSERT INTO atomdav_locks (token, root, depth0, shared, owner, owner_ns, timeout_ns, expires, principal)
			VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp() + $8 * interval '1 microsecond', $9)
			ON CONFLICT (token) DO NOTHING
			RETURNING `+lockColumns,
			[]byte(l.Token), []byte(l.Root), l.Depth0, l.Shared, nonNil(l.Owner), encodeNS(l.OwnerNS),
			int64(l.Timeout), l.Timeout.Microseconds(), []byte(l.Principal))
		got, err = pgx.CollectExactlyOneRow(rows, scanLock)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: token %q already held", ErrInvalidLock, l.Token)
		}
		return err
	})
	if err != nil {
		return storage.Lock{}, err
	}
	return got, nil
}

// admit checks a new lock l, in CreateLock's transaction, against the live
// locks related to its root: it conflicts with none, and it stays within
// lim (the principal's locks are counted only when that limit is set).
func admit(ctx context.Context, tx pgx.Tx, l storage.Lock, related []storage.Lock, lim storage.LockLimits) error {
	onResource, ofPrincipal := 0, 0
	for _, o := range related {
		if o.Conflicts(l) {
			return fmt.Errorf("lock on %q: %w (on %q)", l.Root, storage.ErrLocked, o.Root)
		}
		if o.Root == l.Root {
			onResource++
		}
	}
	if lim.PerPrincipal > 0 {
		err := tx.QueryRow(ctx, `SELECT count(*) FROM atomdav_locks WHERE principal = $1 AND expires > clock_timestamp()`,
			[]byte(l.Principal)).Scan(&ofPrincipal)
		if err != nil {
			return err
		}
	}
	return lim.Exceeded(onResource, ofPrincipal)
}

// RefreshLock restarts a live lock's timeout: Timeout becomes timeout and
// Expires now + timeout. An absent or expired lock is storage.ErrNoLock.
func (s *Store) RefreshLock(ctx context.Context, token string, timeout time.Duration) (storage.Lock, error) {
	if err := storage.CheckLock(token, timeout, MaxKeyBytes); err != nil {
		return storage.Lock{}, err
	}
	var got storage.Lock
	err := s.lockTx(ctx, "refresh lock", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `UPDATE atomdav_locks
			SET timeout_ns = $2, expires = clock_timestamp() + $3 * interval '1 microsecond'
			WHERE token = $1 RETURNING `+lockColumns,
			[]byte(token), int64(timeout), timeout.Microseconds())
		var err error
		got, err = pgx.CollectExactlyOneRow(rows, scanLock)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("lock %q: %w", token, storage.ErrNoLock)
		}
		return err
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
	return s.lockTx(ctx, "delete lock", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM atomdav_locks WHERE token = $1`, []byte(token))
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("lock %q: %w", token, storage.ErrNoLock)
		}
		return err
	})
}

// Locks returns the live locks rooted at p, at an ancestor of p or at a
// descendant of p, first created first, from one query.
func (s *Store) Locks(ctx context.Context, p string) ([]storage.Lock, error) {
	if err := checkRoot(p); err != nil {
		return nil, err
	}
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	locks, err := queryLocks(ctx, s.pool, p)
	if err != nil {
		return nil, s.fail(ctx, "locks", err)
	}
	return locks, nil
}

// DeleteLocksUnder removes every lock rooted at p or below it, and sweeps
// the expired ones. When a read finds none of either it returns without a
// write (a DELETE or MOVE of a resource nobody locked is the common case):
// a lock created after that read is ordered after this call.
func (s *Store) DeleteLocksUnder(ctx context.Context, p string) error {
	if err := checkRoot(p); err != nil {
		return err
	}
	if err := s.enter(ctx); err != nil {
		return err
	}
	st := subtreeOf(p)
	const where = `root = $1 OR (root >= $2 AND root < $3)`
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM atomdav_locks WHERE `+where+` OR expires <= clock_timestamp())`,
		st.own, st.lo, st.hi).Scan(&found)
	if err != nil || !found {
		return s.fail(ctx, "delete locks", err)
	}
	return s.lockTx(ctx, "delete locks", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM atomdav_locks WHERE `+where, st.own, st.lo, st.hi)
		return err
	})
}

// lockTx runs fn in a transaction holding the lock table in EXCLUSIVE mode
// (plain reads go on), after sweeping the expired locks.
func (s *Store) lockTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	return s.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE atomdav_locks IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlSweep); err != nil {
			return err
		}
		return fn(tx)
	})
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryLocks returns the live locks rooted at p, at an ancestor of p or
// below p, oldest first.
func queryLocks(ctx context.Context, q querier, p string) ([]storage.Lock, error) {
	st := subtreeOf(p)
	rows, _ := q.Query(ctx, `SELECT `+lockColumns+` FROM atomdav_locks
		WHERE expires > clock_timestamp() AND (root = ANY($1::bytea[]) OR root = $2 OR (root >= $3 AND root < $4))
		ORDER BY seq`,
		byteSlices(ancestors(p)), st.own, st.lo, st.hi)
	return pgx.CollectRows(rows, scanLock)
}

func scanLock(r pgx.CollectableRow) (storage.Lock, error) {
	var l storage.Lock
	var token, root, ns, principal []byte
	var timeout int64
	err := r.Scan(&token, &root, &l.Depth0, &l.Shared, &l.Owner, &ns, &timeout, &l.Expires, &principal)
	if err != nil {
		return l, err
	}
	l.Token, l.Root, l.Timeout, l.Principal = string(token), string(root), time.Duration(timeout), string(principal)
	if len(l.Owner) == 0 {
		l.Owner = nil
	}
	if l.OwnerNS, err = decodeNS(ns); err != nil {
		return l, fmt.Errorf("lock %q: %w", l.Token, err)
	}
	return l, nil
}

// encodeNS lays out the owner's namespace declarations byte for byte
// (JSON would mangle bytes that are not UTF-8): for each, by prefix, a
// uvarint length and the prefix, then a uvarint length and the URI.
func encodeNS(ns map[string]string) []byte {
	b := []byte{}
	for _, k := range slices.Sorted(maps.Keys(ns)) {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(ns[k])))
		b = append(b, ns[k]...)
	}
	return b
}

// decodeNS is the inverse of encodeNS; nil for no declarations.
func decodeNS(b []byte) (map[string]string, error) {
	var m map[string]string
	next := func() (string, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", errors.New("malformed owner namespaces")
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, nil
	}
	for len(b) > 0 {
		prefix, err := next()
		if err != nil {
			return nil, err
		}
		uri, err := next()
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[prefix] = uri
	}
	return m, nil
}

// nonNil is b, or an empty slice for nil (the column is NOT NULL).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// checkRoot validates a lock root or the path of a lock query.
func checkRoot(p string) error {
	if err := storage.CheckPaths(p); err != nil {
		return err
	}
	if len(p) > MaxKeyBytes {
		return fmt.Errorf("%w: root of %d bytes exceeds %d", ErrInvalidLock, len(p), MaxKeyBytes)
	}
	return nil
}

// LockCount returns the number of live locks, for a metrics scrape: one
// read, no lock taken.
func (s *Store) LockCount(ctx context.Context) (int, error) {
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM atomdav_locks WHERE expires > clock_timestamp()`).Scan(&n)
	if err != nil {
		return 0, s.fail(ctx, "count locks", err)
	}
	return n, nil
}

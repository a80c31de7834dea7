package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/atomdav/atomdav/storage"
)

// ErrInvalidIntent is storage.ErrInvalidIntent, which BeginIntent's error
// wraps for an intent with an unknown Op, or an OpDelete with a Dst.
var ErrInvalidIntent = storage.ErrInvalidIntent

// BeginIntent records in, owned by this instance, under a new ID from the
// table's sequence (increasing, never reused), and returns it with that ID.
func (s *Store) BeginIntent(ctx context.Context, in storage.Intent) (storage.Intent, error) {
	if err := storage.CheckIntent(in); err != nil {
		return storage.Intent{}, err
	}
	if err := s.enter(ctx); err != nil {
		return storage.Intent{}, err
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO atomdav_intents (op, src, dst, depth0, owner)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		string(in.Op), []byte(in.Src), []byte(in.Dst), in.Depth0, s.instance).Scan(&id)
	if err != nil {
		return storage.Intent{}, s.fail(ctx, "begin intent", err)
	}
	in.ID = uint64(id)
	return in, nil
}

// CompleteIntent deletes intent id and applies its property change in one
// transaction. The DELETE locks the intent's row, so of concurrent calls
// for one intent the first applies it and the others find it gone
// (storage.ErrNoIntent).
func (s *Store) CompleteIntent(ctx context.Context, id uint64) error {
	return s.inTx(ctx, "complete intent", func(tx pgx.Tx) error {
		in, err := takeIntent(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.lockTrees(ctx, tx, in.Src, in.Dst); err != nil {
			return err
		}
		if err := applyIntent(ctx, tx, in); err != nil {
			return err
		}
		return journalIntent(ctx, tx, in)
	})
}

// applyIntent makes the property change of in.
func applyIntent(ctx context.Context, tx pgx.Tx, in storage.Intent) error {
	switch {
	case in.Op == storage.OpMove:
		return copyTree(ctx, tx, in.Src, in.Dst, true)
	case in.Op == storage.OpCopy && in.Depth0:
		return copyOwn(ctx, tx, in.Src, in.Dst)
	case in.Op == storage.OpCopy:
		return copyTree(ctx, tx, in.Src, in.Dst, false)
	default: // storage.OpDelete; takeIntent checked the record
		return deleteTree(ctx, tx, in.Src)
	}
}

// AbortIntent deletes intent id without touching any property.
func (s *Store) AbortIntent(ctx context.Context, id uint64) error {
	return s.inTx(ctx, "abort intent", func(tx pgx.Tx) error {
		_, err := takeIntent(ctx, tx, id)
		return err
	})
}

// Intents lists, oldest first, the unfinished intents this instance is
// responsible for: its own, and those of instances whose lease has run out
// (crashed, or closed), which it adopts in the same statement so that no
// other instance recovers them too.
func (s *Store) Intents(ctx context.Context) ([]storage.Intent, error) {
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	rows, _ := s.pool.Query(ctx, `
		WITH adopted AS (
			UPDATE atomdav_intents i SET owner = $1
			WHERE owner <> $1 AND NOT EXISTS (
				SELECT 1 FROM atomdav_instances n WHERE n.id = i.owner AND `+sqlAlive+`)
			RETURNING id, op, src, dst, depth0)
		SELECT id, op, src, dst, depth0 FROM adopted
		UNION ALL
		SELECT id, op, src, dst, depth0 FROM atomdav_intents WHERE owner = $1
		ORDER BY id`, s.instance)
	out, err := pgx.CollectRows(rows, scanIntent)
	if err != nil {
		return nil, s.fail(ctx, "intents", err)
	}
	return out, nil
}

// sqlAlive is true for a live instance n: its lease has not run out, and
// its process still holds its instance lock, unless the database restarted
// since it last proved that (then only the lease says). A killed process's
// connection closes and frees the lock at once; a machine that vanished
// holds it until the lease runs out.
const sqlAlive = `n.expires > clock_timestamp() AND (
	n.renewed < pg_postmaster_start_time() OR EXISTS (
		SELECT 1 FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.classid = ((n.lock_key >> 32) & 4294967295)::oid
			AND l.objid = (n.lock_key & 4294967295)::oid))`

// takeIntent deletes intent id and returns it, checked.
func takeIntent(ctx context.Context, tx pgx.Tx, id uint64) (storage.Intent, error) {
	if id > 1<<63-1 {
		return storage.Intent{}, fmt.Errorf("intent %d: %w", id, storage.ErrNoIntent)
	}
	rows, _ := tx.Query(ctx, `DELETE FROM atomdav_intents WHERE id = $1 RETURNING id, op, src, dst, depth0`, int64(id))
	in, err := pgx.CollectExactlyOneRow(rows, scanIntent)
	if errors.Is(err, pgx.ErrNoRows) {
		return in, fmt.Errorf("intent %d: %w", id, storage.ErrNoIntent)
	}
	if err != nil {
		return in, err
	}
	if err := storage.CheckIntent(in); err != nil {
		return in, fmt.Errorf("intent %d: malformed record: %w", id, err)
	}
	return in, nil
}

func scanIntent(r pgx.CollectableRow) (storage.Intent, error) {
	var id int64
	var op string
	var src, dst []byte
	var in storage.Intent
	err := r.Scan(&id, &op, &src, &dst, &in.Depth0)
	in.ID, in.Op, in.Src, in.Dst = uint64(id), storage.Op(op), string(src), string(dst)
	return in, err
}

// Peers counts the other instances alive on this database now (see
// sqlAlive): those whose tree changes may be under way. A consistency
// check that repairs must run with none, since a MOVE in flight looks like
// properties whose resource is gone.
func (s *Store) Peers(ctx context.Context) (int, error) {
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM atomdav_instances n WHERE n.id <> $1 AND `+sqlAlive, s.instance).Scan(&n)
	if err != nil {
		return 0, s.fail(ctx, "peers", err)
	}
	return n, nil
}

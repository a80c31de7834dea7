package postgres

import (
	"context"

	"github.com/atomdav/atomdav/storage"
	"github.com/jackc/pgx/v5"
)

// CopyTree replaces the properties of dst and its descendants with a copy of
// those of src and its descendants, in one transaction: one DELETE of dst's
// subtree and one INSERT … SELECT of src's. Overlapping trees (src == dst
// changes nothing; one inside the other) read src first, as the embedded
// store does. Like bolt's, it is outside storage.Store, for servers that
// keep properties in step with the tree themselves (proppatch/xnetdav).
func (s *Store) CopyTree(ctx context.Context, src, dst string) error {
	if err := storage.CheckPaths(src, dst); err != nil {
		return err
	}
	return s.treeTx(ctx, "copy tree", src, dst, func(tx pgx.Tx) error {
		return copyTree(ctx, tx, src, dst, false)
	})
}

// MoveTree is CopyTree followed by DeleteTree(src), in one transaction: one
// DELETE of dst's subtree and one UPDATE that rebases src's rows.
func (s *Store) MoveTree(ctx context.Context, src, dst string) error {
	if err := storage.CheckPaths(src, dst); err != nil {
		return err
	}
	return s.treeTx(ctx, "move tree", src, dst, func(tx pgx.Tx) error {
		return copyTree(ctx, tx, src, dst, true)
	})
}

// DeleteTree removes the properties of path and its descendants in one
// statement.
func (s *Store) DeleteTree(ctx context.Context, path string) error {
	if err := storage.CheckPaths(path); err != nil {
		return err
	}
	return s.treeTx(ctx, "delete tree", path, "", func(tx pgx.Tx) error {
		return deleteTree(ctx, tx, path)
	})
}

// treeTx runs fn in a transaction holding the subtree locks of src and dst
// (dst may be empty).
func (s *Store) treeTx(ctx context.Context, op, src, dst string, fn func(pgx.Tx) error) error {
	return s.inTx(ctx, op, func(tx pgx.Tx) error {
		if err := s.lockTrees(ctx, tx, src, dst); err != nil {
			return err
		}
		return fn(tx)
	})
}

// lockTrees takes the advisory locks of a change of the subtrees at src and
// dst (dst may be empty).
func (s *Store) lockTrees(ctx context.Context, tx pgx.Tx, src, dst string) error {
	ls := make(lockSet).forTree(s.salt, src)
	if dst != "" {
		ls.forTree(s.salt, dst)
	}
	keys, excl := ls.args()
	_, err := tx.Exec(ctx, sqlLock, keys, excl)
	return err
}

// deleteTree removes the rows of p and its descendants.
func deleteTree(ctx context.Context, tx pgx.Tx, p string) error {
	st := subtreeOf(p)
	_, err := tx.Exec(ctx, `DELETE FROM atomdav_props WHERE path = $1 OR (path >= $2 AND path < $3)`, st.own, st.lo, st.hi)
	return err
}

// copyTree copies (or moves) the subtree at src over the one at dst.
func copyTree(ctx context.Context, tx pgx.Tx, src, dst string, move bool) error {
	switch {
	case src == dst:
		return nil
	case inside(dst, src) || inside(src, dst):
		return copyOverlapping(ctx, tx, src, dst, move)
	}
	if err := deleteTree(ctx, tx, dst); err != nil {
		return err
	}
	st := subtreeOf(src)
	// A row of src's subtree goes to dst (src's own) or to
	// dirKey(dst) + what follows dirKey(src) in its path (a descendant).
	args := []any{st.own, st.lo, st.hi, []byte(dst), []byte(dirKey(dst)), len(dirKey(src)), depth(dst) - depth(src)}
	rebased := `CASE WHEN path = $1 THEN $4::bytea ELSE $5::bytea || substr(path, $6::integer + 1) END`
	var sql string
	if move {
		sql = `UPDATE atomdav_props SET path = ` + rebased + `, depth = depth + $7::integer
			WHERE path = $1 OR (path >= $2 AND path < $3)`
	} else {
		sql = `INSERT INTO atomdav_props (path, depth, ns, local, value)
			SELECT ` + rebased + `, depth + $7::integer, ns, local, value FROM atomdav_props
			WHERE path = $1 OR (path >= $2 AND path < $3)`
	}
	_, err := tx.Exec(ctx, sql, args...)
	return err
}

// row is one property row.
type row struct {
	path, ns, local, value []byte
	depth                  int
}

// copyOverlapping copies (or moves) src over dst when one lies inside the
// other: it reads src's rows, clears dst (and src, for a move) and writes
// the rebased rows back. Callers refuse such requests (RFC 4918 §9.8.5,
// §9.9.4); this keeps the store consistent if one gets through.
func copyOverlapping(ctx context.Context, tx pgx.Tx, src, dst string, move bool) error {
	st := subtreeOf(src)
	rows, err := readRows(ctx, tx, `WHERE path = $1 OR (path >= $2 AND path < $3)`, st.own, st.lo, st.hi)
	if err != nil {
		return err
	}
	for i := range rows {
		p := string(rows[i].path)
		if p == src {
			p = dst
		} else {
			p = dirKey(dst) + p[len(dirKey(src)):]
		}
		rows[i].path, rows[i].depth = []byte(p), depth(p)
	}
	if err := deleteTree(ctx, tx, dst); err != nil {
		return err
	}
	if move {
		if err := deleteTree(ctx, tx, src); err != nil {
			return err
		}
	}
	return insertRows(ctx, tx, rows)
}

// copyOwn replaces the properties of dst and its descendants with a copy of
// src's own properties (a COPY with Depth: 0). src is read first, so it may
// lie inside dst.
func copyOwn(ctx context.Context, tx pgx.Tx, src, dst string) error {
	rows, err := readRows(ctx, tx, `WHERE path = $1`, []byte(src))
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].path, rows[i].depth = []byte(dst), depth(dst)
	}
	if err := deleteTree(ctx, tx, dst); err != nil {
		return err
	}
	return insertRows(ctx, tx, rows)
}

// readRows reads the property rows that where selects.
func readRows(ctx context.Context, tx pgx.Tx, where string, args ...any) ([]row, error) {
	rs, _ := tx.Query(ctx, `SELECT path, ns, local, value FROM atomdav_props `+where, args...)
	return pgx.CollectRows(rs, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.path, &x.ns, &x.local, &x.value)
		return x, err
	})
}

// insertRows writes rows in one statement.
func insertRows(ctx context.Context, tx pgx.Tx, rows []row) error {
	if len(rows) == 0 {
		return nil
	}
	var paths, nss, locals, values [][]byte
	var depths []int32
	for _, r := range rows {
		paths, nss, locals, values = append(paths, r.path), append(nss, r.ns), append(locals, r.local), append(values, r.value)
		depths = append(depths, int32(r.depth))
	}
	_, err := tx.Exec(ctx, `INSERT INTO atomdav_props (path, depth, ns, local, value)
		SELECT * FROM unnest($1::bytea[], $2::integer[], $3::bytea[], $4::bytea[], $5::bytea[])`,
		paths, depths, nss, locals, values)
	return err
}

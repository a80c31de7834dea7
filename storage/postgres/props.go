package postgres

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/atomdav/atomdav/storage"
)

// Props returns the dead properties of one resource; an empty map when it
// has none.
func (s *Store) Props(ctx context.Context, path string) (map[xml.Name][]byte, error) {
	if err := storage.CheckPaths(path); err != nil {
		return nil, err
	}
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	rows, _ := s.pool.Query(ctx, `SELECT ns, local, value FROM atomdav_props WHERE path = $1`, []byte(path))
	props := make(map[xml.Name][]byte)
	var ns, local, value []byte
	_, err := pgx.ForEachRow(rows, []any{&ns, &local, &value}, func() error {
		props[xml.Name{Space: string(ns), Local: string(local)}] = value
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "props", err)
	}
	return props, nil
}

// FolderProps returns the properties of dir and of its direct children,
// keyed by resource path, from one query over two index ranges: dir's own
// rows, and the rows one level deeper inside dir's subtree range.
func (s *Store) FolderProps(ctx context.Context, dir string) (map[string]map[xml.Name][]byte, error) {
	if err := storage.CheckPaths(dir); err != nil {
		return nil, err
	}
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	st := subtreeOf(dir)
	rows, _ := s.pool.Query(ctx, `
		SELECT path, ns, local, value FROM atomdav_props
		WHERE path = $1 OR (depth = $2 AND path >= $3 AND path < $4)`,
		st.own, depth(dir)+1, st.lo, st.hi)
	out := make(map[string]map[xml.Name][]byte)
	names := make(map[string]string) // interned namespaces and local names
	intern := func(b []byte) string {
		if s, ok := names[string(b)]; ok {
			return s
		}
		s := string(b)
		names[s] = s
		return s
	}
	defer rows.Close()
	for rows.Next() {
		// Raw (binary) bytea values, valid until Next: a folder may hold
		// tens of thousands of rows, so copy each byte once.
		raw := rows.RawValues()
		if len(raw) != 4 {
			return nil, fmt.Errorf("postgres: folder props: %d columns", len(raw))
		}
		m := out[string(raw[0])]
		if m == nil {
			m = make(map[xml.Name][]byte)
			out[string(raw[0])] = m
		}
		m[xml.Name{Space: intern(raw[1]), Local: intern(raw[2])}] = bytes.Clone(nonNil(raw[3]))
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, "folder props", err)
	}
	return out, nil
}

// PatchProps sets and then removes properties of one resource in one
// transaction, holding the resource's advisory lock (see doc.go): one round
// trip, a batch that PostgreSQL runs as one implicit transaction. A name
// both in set and in remove ends removed.
func (s *Store) PatchProps(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name) error {
	b, err := s.patchBatch(path, set, remove)
	if err != nil {
		return err
	}
	if err := withJournal(ctx, b); err != nil {
		return err
	}
	if err := s.enter(ctx); err != nil {
		return err
	}
	return s.fail(ctx, "patch props", s.pool.SendBatch(ctx, b).Close())
}

// patchBatch validates a PatchProps and queues it, after the resource's
// advisory lock, in a batch that runs as one implicit transaction.
func (s *Store) patchBatch(path string, set map[xml.Name][]byte, remove []xml.Name) (*pgx.Batch, error) {
	if err := storage.CheckPaths(path); err != nil {
		return nil, err
	}
	gone := make(map[xml.Name]bool, len(remove))
	var delNS, delLocal [][]byte
	for _, n := range remove {
		if err := checkName(path, n); err != nil {
			return nil, err
		}
		gone[n] = true
		delNS, delLocal = append(delNS, []byte(n.Space)), append(delLocal, []byte(n.Local))
	}
	var putNS, putLocal, putValue [][]byte
	for n, v := range set {
		if err := checkName(path, n); err != nil {
			return nil, err
		}
		if !gone[n] {
			putNS, putLocal, putValue = append(putNS, []byte(n.Space)), append(putLocal, []byte(n.Local)), append(putValue, v)
		}
	}
	keys, excl := make(lockSet).forPatch(s.salt, path).args()
	b := &pgx.Batch{}
	b.Queue(sqlLock, keys, excl)
	if len(delNS) > 0 {
		b.Queue(`DELETE FROM atomdav_props WHERE path = $1 AND (ns, local) IN (SELECT * FROM unnest($2::bytea[], $3::bytea[]))`,
			[]byte(path), delNS, delLocal)
	}
	if len(putNS) > 0 {
		b.Queue(`INSERT INTO atomdav_props (path, depth, ns, local, value)
			SELECT $1::bytea, $2::integer, * FROM unnest($3::bytea[], $4::bytea[], $5::bytea[])
			ON CONFLICT (path, ns, local) DO UPDATE SET value = excluded.value`,
			[]byte(path), depth(path), putNS, putLocal, putValue)
	}
	return b, nil
}

// WalkResources calls fn with the path of every resource holding at least
// one property, in byte order of the paths, from one query. The paths are
// read first and fn is called after, so fn may use the store.
func (s *Store) WalkResources(ctx context.Context, fn func(path string) error) error {
	if err := s.enter(ctx); err != nil {
		return err
	}
	rows, _ := s.pool.Query(ctx, `SELECT DISTINCT path FROM atomdav_props ORDER BY path`)
	paths, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var p []byte
		err := r.Scan(&p)
		return string(p), err
	})
	if err != nil {
		return s.fail(ctx, "walk", err)
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !storage.ValidPath(p) {
			return fmt.Errorf("postgres: walk: malformed path %q", p)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

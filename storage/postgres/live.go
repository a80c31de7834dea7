package postgres

import (
	"context"
	"encoding/xml"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/atomdav/atomdav/storage"
)

// PatchPropsLive is PatchProps that also records the settable live
// properties' changes of the same request, in the same implicit
// transaction and under the same advisory lock.
func (s *Store) PatchPropsLive(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name, live map[xml.Name][]byte) error {
	b, err := s.patchBatch(path, set, remove)
	if err != nil {
		return err
	}
	ns, local, recs, err := liveColumns(path, live)
	if err != nil {
		return err
	}
	if len(ns) > 0 {
		b.Queue(`INSERT INTO atomdav_live (path, ns, local, record)
			SELECT $1::bytea, * FROM unnest($2::bytea[], $3::bytea[], $4::bytea[])
			ON CONFLICT (path, ns, local) DO UPDATE SET record = excluded.record`,
			[]byte(path), ns, local, recs)
	}
	if err := withJournal(ctx, b); err != nil {
		return err
	}
	if err := s.enter(ctx); err != nil {
		return err
	}
	return s.fail(ctx, "patch props live", s.pool.SendBatch(ctx, b).Close())
}

// liveColumns validates live and returns it as three parallel columns.
func liveColumns(path string, live map[xml.Name][]byte) (ns, local, recs [][]byte, err error) {
	if err := storage.CheckPaths(path); err != nil {
		return nil, nil, nil, err
	}
	for n, rec := range live {
		if err := checkName(path, n); err != nil {
			return nil, nil, nil, err
		}
		ns, local, recs = append(ns, []byte(n.Space)), append(local, []byte(n.Local)), append(recs, rec)
	}
	return ns, local, recs, nil
}

// ClearLive forgets path's records that still hold the bytes given, in a
// transaction that does not wait for its commit to reach the disk
// (synchronous_commit off): a record a crash keeps is judged again at
// recovery.
func (s *Store) ClearLive(ctx context.Context, path string, live map[xml.Name][]byte) error {
	ns, local, recs, err := liveColumns(path, live)
	if err != nil || len(ns) == 0 {
		return err
	}
	if err := s.enter(ctx); err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit TO OFF`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM atomdav_live WHERE path = $1
			AND (ns, local, record) IN (SELECT * FROM unnest($2::bytea[], $3::bytea[], $4::bytea[]))`,
			[]byte(path), ns, local, recs)
		return err
	})
	return s.fail(ctx, "clear live", err)
}

// LiveRecords lists every live record, by path then name.
func (s *Store) LiveRecords(ctx context.Context) ([]storage.LiveRecord, error) {
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	rows, _ := s.pool.Query(ctx, `SELECT path, ns, local, record FROM atomdav_live ORDER BY path, ns, local`)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storage.LiveRecord, error) {
		var p, ns, local, rec []byte
		if err := r.Scan(&p, &ns, &local, &rec); err != nil {
			return storage.LiveRecord{}, err
		}
		if !storage.ValidPath(string(p)) {
			return storage.LiveRecord{}, fmt.Errorf("postgres: live records: malformed path %q", p)
		}
		return storage.LiveRecord{Path: string(p), Name: xml.Name{Space: string(ns), Local: string(local)}, Record: rec}, nil
	})
	if err != nil {
		return nil, s.fail(ctx, "live records", err)
	}
	return out, nil
}

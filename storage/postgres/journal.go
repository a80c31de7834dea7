package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atomdav/atomdav/storage"
)

// The journal (storage.Journal) in four tables: atomdav_journal_meta's one
// row holds the journal's id, its sync point (seq) and horizon;
// atomdav_journal the entries; atomdav_index the last known state of each
// path; atomdav_ctags each folder's tag.
//
// Order: every transaction that journals first updates the meta row (seq =
// seq + n), whose row lock it then holds to its commit. The journaling
// transactions of all instances therefore commit one after another in seq
// order, so a reader that sees sync point S sees every entry up to S, and
// no entry numbered S or below can commit later. Index and ctag rows are
// changed only after the meta row is taken, so no two journaling
// transactions wait on each other's rows in opposite orders.

var _ storage.Journal = (*Store)(nil)

// journalMigration is the schema's version 5.
const journalMigration = `
	CREATE TABLE atomdav_journal_meta (
		id      text   NOT NULL,
		seq     bigint NOT NULL,
		horizon bigint NOT NULL
	);
	INSERT INTO atomdav_journal_meta
		SELECT substr(md5(random()::text || clock_timestamp()::text), 1, 16), 0, 0;
	CREATE TABLE atomdav_journal (
		seq      bigint   PRIMARY KEY,
		path     bytea    NOT NULL,
		kind     smallint NOT NULL,
		dir      boolean  NOT NULL,
		subtree  boolean  NOT NULL,
		size     bigint   NOT NULL,
		mtime_ns bigint   NOT NULL,
		inode    bigint   NOT NULL,
		unix_ns  bigint   NOT NULL
	);
	CREATE TABLE atomdav_index (
		path     bytea   PRIMARY KEY,
		depth    integer NOT NULL,
		dir      boolean NOT NULL,
		size     bigint  NOT NULL,
		mtime_ns bigint  NOT NULL,
		inode    bigint  NOT NULL
	);
	CREATE INDEX atomdav_index_children ON atomdav_index (depth, path);
	CREATE TABLE atomdav_ctags (
		path  bytea   PRIMARY KEY,
		depth integer NOT NULL,
		tag   bigint  NOT NULL
	);
	CREATE INDEX atomdav_ctags_children ON atomdav_ctags (depth, path);`

// queueJournal queues, in b, the statements that record changes: the seq
// first (taking the meta row), then the entries, the index and the ctags.
func queueJournal(b *pgx.Batch, changes []storage.Change) {
	n := len(changes)
	paths, kinds, dirs, subs := make([][]byte, n), make([]int16, n), make([]bool, n), make([]bool, n)
	sizes, mtimes, inodes := make([]int64, n), make([]int64, n), make([]int64, n)
	tags, above := map[string]bool{}, map[string]bool{}
	var removed [][]byte
	for i, c := range changes {
		paths[i], kinds[i], dirs[i], subs[i] = []byte(c.Path), int16(c.Kind), c.Dir, c.Subtree
		sizes[i], mtimes[i], inodes[i] = c.Size, c.MtimeNs, int64(c.Inode)
		if c.Kind == storage.ChangeRemoved {
			removed = append(removed, []byte(c.Path))
		} else if c.Dir {
			tags[c.Path] = true
		}
		upsert := c.Kind == storage.ChangeUpsert
		storage.Ancestors(c.Path, func(d string) {
			tags[d] = true
			above[d] = above[d] || upsert && d != "/"
		})
	}
	b.Queue(`WITH m AS (UPDATE atomdav_journal_meta SET seq = seq + $8::bigint RETURNING seq - $8::bigint AS base)
		INSERT INTO atomdav_journal (seq, path, kind, dir, subtree, size, mtime_ns, inode, unix_ns)
		SELECT m.base + u.n, u.path, u.kind, u.dir, u.sub, u.size, u.mtime, u.inode,
			(extract(epoch FROM clock_timestamp()) * 1e9)::bigint
		FROM m, unnest($1::bytea[], $2::smallint[], $3::boolean[], $4::boolean[], $5::bigint[], $6::bigint[], $7::bigint[])
			WITH ORDINALITY AS u(path, kind, dir, sub, size, mtime, inode, n)`,
		paths, kinds, dirs, subs, sizes, mtimes, inodes, int64(n))
	for _, p := range removed {
		st := subtreeOf(string(p))
		queueExpand(b, string(p))
		b.Queue(`DELETE FROM atomdav_index WHERE path = $1 OR (path >= $2 AND path < $3)`, st.own, st.lo, st.hi)
		b.Queue(`DELETE FROM atomdav_ctags WHERE path = $1 OR (path >= $2 AND path < $3)`, st.own, st.lo, st.hi)
	}
	// The folders above an upsert that the index does not hold are
	// indexed, of unknown inode (see storage.Journal.RecordChanges).
	var abovePaths [][]byte
	var aboveDepths []int32
	for d, ok := range above {
		if ok {
			abovePaths, aboveDepths = append(abovePaths, []byte(d)), append(aboveDepths, int32(depth(d)))
		}
	}
	if len(abovePaths) > 0 {
		b.Queue(`INSERT INTO atomdav_index (path, depth, dir, size, mtime_ns, inode)
			SELECT u.path, u.depth, true, 0, 0, 0 FROM unnest($1::bytea[], $2::integer[]) AS u(path, depth)
			ON CONFLICT (path) DO NOTHING`, abovePaths, aboveDepths)
	}
	// The last upsert of a path wins; a Subtree one keeps the row the
	// intent moved or copied in.
	b.Queue(`INSERT INTO atomdav_index (path, depth, dir, size, mtime_ns, inode)
		SELECT DISTINCT ON (u.path) u.path, u.depth, u.dir, u.size, u.mtime, u.inode
		FROM unnest($1::bytea[], $2::smallint[], $3::boolean[], $4::boolean[], $5::bigint[], $6::bigint[], $7::bigint[], $8::integer[])
			WITH ORDINALITY AS u(path, kind, dir, sub, size, mtime, inode, depth, n)
		WHERE u.kind = 1 AND NOT (u.sub AND EXISTS (SELECT 1 FROM atomdav_index i WHERE i.path = u.path))
		ORDER BY u.path, u.n DESC
		ON CONFLICT (path) DO UPDATE SET dir = excluded.dir, size = excluded.size, mtime_ns = excluded.mtime_ns, inode = excluded.inode`,
		paths, kinds, dirs, subs, sizes, mtimes, inodes, depths(changes))
	var tagPaths [][]byte
	var tagDepths []int32
	for p := range tags {
		tagPaths, tagDepths = append(tagPaths, []byte(p)), append(tagDepths, int32(depth(p)))
	}
	b.Queue(`INSERT INTO atomdav_ctags (path, depth, tag)
		SELECT u.path, u.depth, (SELECT seq FROM atomdav_journal_meta) FROM unnest($1::bytea[], $2::integer[]) AS u(path, depth)
		ON CONFLICT (path) DO UPDATE SET tag = excluded.tag`, tagPaths, tagDepths)
}

// queueExpand queues the removal entries of the members the index knows
// strictly below p, numbered after the entries before: a folder removed
// and made again before a client syncs is answered as it is now, and its
// former members as 404s.
func queueExpand(b *pgx.Batch, p string) {
	if p == "/" {
		return
	}
	st := subtreeOf(p)
	b.Queue(`WITH d AS (SELECT path, dir FROM atomdav_index WHERE path >= $1 AND path < $2),
		n AS (SELECT count(*) AS c FROM d),
		m AS (UPDATE atomdav_journal_meta SET seq = seq + (SELECT c FROM n) RETURNING seq - (SELECT c FROM n) AS base)
		INSERT INTO atomdav_journal (seq, path, kind, dir, subtree, size, mtime_ns, inode, unix_ns)
		SELECT m.base + row_number() OVER (ORDER BY d.path), d.path, 2, d.dir, false, 0, 0, 0,
			(extract(epoch FROM clock_timestamp()) * 1e9)::bigint
		FROM m, d`, st.lo, st.hi)
}

func depths(changes []storage.Change) []int32 {
	out := make([]int32, len(changes))
	for i, c := range changes {
		out[i] = int32(depth(c.Path))
	}
	return out
}

// withJournal queues, after a PatchProps batch, the changes ctx carries
// (storage.WithChanges), so that they commit in its implicit transaction.
func withJournal(ctx context.Context, b *pgx.Batch) error {
	changes := storage.ChangesOf(ctx)
	if len(changes) == 0 {
		return nil
	}
	if err := storage.CheckChanges(changes); err != nil {
		return err
	}
	queueJournal(b, changes)
	return nil
}

// RecordChanges appends changes to the journal in one transaction.
func (s *Store) RecordChanges(ctx context.Context, changes []storage.Change) (uint64, error) {
	if err := storage.CheckChanges(changes); err != nil {
		return 0, err
	}
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	if len(changes) == 0 {
		return s.SyncPoint(ctx)
	}
	var seq int64
	err := s.inTx(ctx, "record changes", func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		queueJournal(b, changes)
		b.Queue(`SELECT seq FROM atomdav_journal_meta`).QueryRow(func(r pgx.Row) error { return r.Scan(&seq) })
		return tx.SendBatch(ctx, b).Close()
	})
	return uint64(seq), err
}

// journalIntent records, in the transaction completing in, its tree
// change: the index and ctags of the subtree follow it, then its entries.
func journalIntent(ctx context.Context, tx pgx.Tx, in storage.Intent) error {
	var dir bool
	err := tx.QueryRow(ctx, `SELECT dir FROM atomdav_index WHERE path = $1`, []byte(in.Src)).Scan(&dir)
	if err != nil && err != pgx.ErrNoRows {
		return err
	}
	copies := in.Op != storage.OpDelete && in.Src != in.Dst && !inside(in.Dst, in.Src) && !inside(in.Src, in.Dst)
	var dstDir, dstIndexed bool
	if copies {
		err := tx.QueryRow(ctx, `SELECT dir FROM atomdav_index WHERE path = $1`, []byte(in.Dst)).Scan(&dstDir)
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		dstIndexed = err == nil
	}
	b := &pgx.Batch{}
	// Take the meta row before touching index or ctag rows (see above).
	b.Queue(`SELECT 1 FROM atomdav_journal_meta FOR UPDATE`)
	if in.Op == storage.OpMove {
		queueExpand(b, in.Src) // the source's members, read before they move
	}
	if dstIndexed {
		// What the index still holds at the destination (gone from the
		// disk before the watcher saw it) is replaced by the tree coming
		// in: journaled as removed, not dropped unsaid.
		queueJournal(b, []storage.Change{{Path: in.Dst, Kind: storage.ChangeRemoved, Dir: dstDir}})
	}
	if copies {
		for _, t := range []string{"atomdav_index", "atomdav_ctags"} {
			queueTreeCopy(b, t, in.Src, in.Dst, in.Op == storage.OpMove)
		}
	}
	queueJournal(b, storage.IntentChanges(in, dir))
	return tx.SendBatch(ctx, b).Close()
}

// queueTreeCopy queues the copy (or move) of table's rows of the subtree
// at src over those at dst, which lie apart.
func queueTreeCopy(b *pgx.Batch, table, src, dst string, move bool) {
	d := subtreeOf(dst)
	b.Queue(`DELETE FROM `+table+` WHERE path = $1 OR (path >= $2 AND path < $3)`, d.own, d.lo, d.hi)
	st := subtreeOf(src)
	rebased := `CASE WHEN path = $1 THEN $4::bytea ELSE $5::bytea || substr(path, $6::integer + 1) END`
	args := []any{st.own, st.lo, st.hi, []byte(dst), []byte(dirKey(dst)), len(dirKey(src)), depth(dst) - depth(src)}
	if move {
		b.Queue(`UPDATE `+table+` SET path = `+rebased+`, depth = depth + $7::integer
			WHERE path = $1 OR (path >= $2 AND path < $3)`, args...)
		return
	}
	cols := "dir, size, mtime_ns, inode"
	if table == "atomdav_ctags" {
		cols = "tag"
	}
	b.Queue(`INSERT INTO `+table+` (path, depth, `+cols+`)
		SELECT `+rebased+`, depth + $7::integer, `+cols+` FROM `+table+`
		WHERE path = $1 OR (path >= $2 AND path < $3)`, args...)
}

// ChangesSince calls fn for each entry after since, a page per query so
// that no query stays open while fn runs.
func (s *Store) ChangesSince(ctx context.Context, since uint64, fn func(storage.Change) error) (uint64, error) {
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	var end, horizon int64
	if err := s.pool.QueryRow(ctx, `SELECT seq, horizon FROM atomdav_journal_meta`).Scan(&end, &horizon); err != nil {
		return 0, s.fail(ctx, "changes since", err)
	}
	if since < uint64(horizon) || since > uint64(end) {
		return 0, fmt.Errorf("postgres: sync point %d (journal holds %d to %d): %w", since, horizon, end, storage.ErrSyncTooOld)
	}
	for next := int64(since); next < end; {
		rows, _ := s.pool.Query(ctx, `SELECT seq, path, kind, dir, subtree, size, mtime_ns, inode, unix_ns
			FROM atomdav_journal WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 512`, next, end)
		batch, err := pgx.CollectRows(rows, scanChange)
		if err != nil {
			return 0, s.fail(ctx, "changes since", err)
		}
		if len(batch) == 0 {
			break
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return 0, err
			}
		}
		next = int64(batch[len(batch)-1].Seq)
	}
	return uint64(end), nil
}

func scanChange(r pgx.CollectableRow) (storage.Change, error) {
	var c storage.Change
	var seq, inode int64
	var kind int16
	var p []byte
	err := r.Scan(&seq, &p, &kind, &c.Dir, &c.Subtree, &c.Size, &c.MtimeNs, &inode, &c.UnixNs)
	c.Seq, c.Path, c.Kind, c.Inode = uint64(seq), string(p), storage.ChangeKind(kind), uint64(inode)
	return c, err
}

// SyncPoint is the last seq committed.
func (s *Store) SyncPoint(ctx context.Context) (uint64, error) {
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM atomdav_journal_meta`).Scan(&seq); err != nil {
		return 0, s.fail(ctx, "sync point", err)
	}
	return uint64(seq), nil
}

// IndexEntry is the index's view of p, one query.
func (s *Store) IndexEntry(ctx context.Context, p string) (c storage.Change, ok bool, err error) {
	if err := storage.CheckPaths(p); err != nil {
		return c, false, err
	}
	if err := s.enter(ctx); err != nil {
		return c, false, err
	}
	var inode int64
	err = s.pool.QueryRow(ctx, `SELECT dir, size, mtime_ns, inode FROM atomdav_index WHERE path = $1`, []byte(p)).
		Scan(&c.Dir, &c.Size, &c.MtimeNs, &inode)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Change{}, false, nil
	}
	if err != nil {
		return storage.Change{}, false, s.fail(ctx, "index entry", err)
	}
	c.Path, c.Kind, c.Inode = p, storage.ChangeUpsert, uint64(inode)
	return c, true, nil
}

// IndexChildren calls fn for each direct child of dir in the index, in
// name (byte) order, a page per query.
func (s *Store) IndexChildren(ctx context.Context, dir string, fn func(storage.Change) error) error {
	if err := storage.CheckPaths(dir); err != nil {
		return err
	}
	if err := s.enter(ctx); err != nil {
		return err
	}
	st := subtreeOf(dir)
	after := st.lo
	for {
		rows, _ := s.pool.Query(ctx, `SELECT path, dir, size, mtime_ns, inode FROM atomdav_index
			WHERE depth = $1 AND path > $2 AND path < $3 ORDER BY path LIMIT 512`, depth(dir)+1, after, st.hi)
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storage.Change, error) {
			c := storage.Change{Kind: storage.ChangeUpsert}
			var p []byte
			var inode int64
			err := r.Scan(&p, &c.Dir, &c.Size, &c.MtimeNs, &inode)
			c.Path, c.Inode = string(p), uint64(inode)
			return c, err
		})
		if err != nil {
			return s.fail(ctx, "index children", err)
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(batch) < 512 {
			return nil
		}
		after = []byte(batch[len(batch)-1].Path)
	}
}

// FolderTag is the ctag of dir.
func (s *Store) FolderTag(ctx context.Context, dir string) (uint64, error) {
	if err := storage.CheckPaths(dir); err != nil {
		return 0, err
	}
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	var tag int64
	err := s.pool.QueryRow(ctx, `SELECT tag FROM atomdav_ctags WHERE path = $1`, []byte(dir)).Scan(&tag)
	if err == pgx.ErrNoRows {
		return 0, nil
	}
	return uint64(tag), s.fail(ctx, "folder tag", err)
}

// FolderTags calls fn with the ctags of dir and its direct children, from
// one query.
func (s *Store) FolderTags(ctx context.Context, dir string, fn func(path string, tag uint64)) error {
	if err := storage.CheckPaths(dir); err != nil {
		return err
	}
	if err := s.enter(ctx); err != nil {
		return err
	}
	st := subtreeOf(dir)
	rows, _ := s.pool.Query(ctx, `SELECT path, tag FROM atomdav_ctags
		WHERE path = $1 OR (depth = $2 AND path >= $3 AND path < $4)`, st.own, depth(dir)+1, st.lo, st.hi)
	var p []byte
	var tag int64
	_, err := pgx.ForEachRow(rows, []any{&p, &tag}, func() error {
		fn(string(p), uint64(tag))
		return nil
	})
	return s.fail(ctx, "folder tags", err)
}

// Compact drops the entries older than olderThan or beyond the newest
// keep, and moves the horizon past them, in one transaction.
func (s *Store) Compact(ctx context.Context, olderThan time.Time, keep uint64) (int, error) {
	var n int64
	err := s.inTx(ctx, "compact", func(tx pgx.Tx) error {
		var end int64
		if err := tx.QueryRow(ctx, `SELECT seq FROM atomdav_journal_meta FOR UPDATE`).Scan(&end); err != nil {
			return err
		}
		cut := int64(0)
		if keep > 0 && uint64(end) > keep {
			cut = end - int64(keep)
		}
		var last *int64
		err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM atomdav_journal WHERE unix_ns < $1 OR seq <= $2 RETURNING seq)
			SELECT count(*), max(seq) FROM d`, olderThan.UnixNano(), cut).Scan(&n, &last)
		if err != nil || last == nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE atomdav_journal_meta SET horizon = greatest(horizon, $1)`, *last)
		return err
	})
	return int(n), err
}

// JournalID is the id the schema's migration gave this journal.
func (s *Store) JournalID(ctx context.Context) (string, error) {
	if err := s.enter(ctx); err != nil {
		return "", err
	}
	var id string
	if err := s.pool.QueryRow(ctx, `SELECT id FROM atomdav_journal_meta`).Scan(&id); err != nil {
		return "", s.fail(ctx, "journal id", err)
	}
	return id, nil
}

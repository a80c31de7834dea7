package bolt

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path"
	"time"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// The journal's buckets. The index and the ctags are keyed by the
// resource's own prefix (ownPrefix: parent + 0x01 + base + 0x00), the
// layout of the props bucket, so a folder's direct children are one key
// range in name order and a subtree is the ranges of subtreePrefixes.
var (
	bucketJournal = []byte("journal") // seq (big-endian) → storage.EncodeChange; its Sequence is the sync point
	bucketIndex   = []byte("index")   // ownPrefix(path) → storage.EncodeChange of the path's last known state
	bucketCtags   = []byte("ctags")   // ownPrefix(folder) → seq (big-endian) of the last change at or below it
	bucketJMeta   = []byte("jmeta")   // "id" → the journal's id; "horizon" → the last seq compacted away
	keyJournalID  = []byte("id")      // in bucketJMeta
	keyHorizon    = []byte("horizon") // in bucketJMeta
	journalBatch  = 512               // entries read per transaction by ChangesSince and IndexChildren
	compactBatch  = 4096              // entries dropped per commit by Compact
	journalBucket = [][]byte{bucketJournal, bucketIndex, bucketCtags, bucketJMeta}
)

var _ storage.Journal = (*Store)(nil)

// initJournal gives a new journal its id.
func initJournal(tx *bbolt.Tx) error {
	m := tx.Bucket(bucketJMeta)
	if m.Get(keyJournalID) != nil {
		return nil
	}
	var b [8]byte
	rand.Read(b[:])
	return m.Put(keyJournalID, []byte(hex.EncodeToString(b[:])))
}

// RecordChanges appends changes to the journal in one durable commit.
func (s *Store) RecordChanges(ctx context.Context, changes []storage.Change) (uint64, error) {
	if err := storage.CheckChanges(changes); err != nil {
		return 0, err
	}
	if len(changes) == 0 {
		return s.SyncPoint(ctx)
	}
	var seq uint64
	err := s.submit(ctx, func(b *bbolt.Bucket) error {
		var err error
		seq, err = s.jw.record(b.Tx(), changes)
		return err
	})
	return seq, err
}

// journaled wraps apply so that it also records the changes ctx carries
// (storage.WithChanges), in the same transaction.
func (s *Store) journaled(ctx context.Context, apply func(*bbolt.Bucket) error) (func(*bbolt.Bucket) error, error) {
	changes := storage.ChangesOf(ctx)
	if len(changes) == 0 {
		return apply, nil
	}
	if err := storage.CheckChanges(changes); err != nil {
		return nil, err
	}
	return func(b *bbolt.Bucket) error {
		if err := apply(b); err != nil {
			return err
		}
		_, err := s.jw.record(b.Tx(), changes)
		return err
	}, nil
}

// journalWriter gathers the journal entries and ctag moves of one group
// commit, for the writer goroutine alone: the index is changed as each
// write is applied (later writes of the group read it), but the group's
// entries go to the journal as one record, keyed by the first one's
// sequence number, and each folder's ctag is written once, when the
// transaction is about to commit (flush). A record per entry, and a ctag
// put per entry and ancestor, made every commit rewrite more B+tree pages
// than the properties it journals.
type journalWriter struct {
	first, next uint64 // the group's sequence numbers: [first, next); 0 before its first entry
	now         int64
	buf         []byte            // the group's entries: uvarint length, storage.EncodeChange
	tags        map[string]uint64 // folder → its new ctag (ctags.go)
	removed     []string          // paths removed, whose tags go with them
	ckpt        bool              // the group checkpoints the ctags
}

// reset starts a transaction's group.
func (jw *journalWriter) reset() {
	jw.first, jw.next, jw.buf, jw.removed, jw.ckpt = 0, 0, jw.buf[:0], jw.removed[:0], false
	clear(jw.tags)
}

// record numbers changes, adds them to the group and updates the index.
// It returns the sync point after them.
func (jw *journalWriter) record(tx *bbolt.Tx, changes []storage.Change) (uint64, error) {
	if jw.first == 0 {
		jw.first = tx.Bucket(bucketJournal).Sequence() + 1
		jw.next, jw.now = jw.first, time.Now().UnixNano()
		if jw.tags == nil {
			jw.tags = map[string]uint64{}
		}
	}
	ib, cb := tx.Bucket(bucketIndex), tx.Bucket(bucketCtags)
	for _, c := range changes {
		c = jw.add(c)
		tagsOf(c, &jw.removed, jw.tags)
		if c.Kind == storage.ChangeRemoved {
			// Each member the index knows below a removed folder is
			// removed too, by an entry of its own: a folder removed and
			// made again before a client syncs is answered as it is now,
			// and its former members as 404s.
			for _, m := range indexedBelow(ib, c.Path) {
				m = jw.add(storage.Change{Path: m.Path, Kind: storage.ChangeRemoved, Dir: m.Dir})
				tagsOf(m, &jw.removed, jw.tags)
			}
		}
		if err := indexChange(ib, cb, c); err != nil {
			return 0, err
		}
	}
	return jw.next - 1, nil
}

// add numbers c, appends it to the group and returns it numbered.
func (jw *journalWriter) add(c storage.Change) storage.Change {
	c.Seq, c.UnixNs = jw.next, jw.now
	jw.next++
	e := storage.EncodeChange(c)
	jw.buf = binary.AppendUvarint(jw.buf, uint64(len(e)))
	jw.buf = append(jw.buf, e...)
	return c
}

// indexedBelow lists the index's entries strictly below p, in key order.
func indexedBelow(ib *bbolt.Bucket, p string) []storage.Change {
	var out []storage.Change
	if p == "/" {
		return nil // the root is never removed
	}
	for _, prefix := range subtreePrefixes(p)[1:] { // [0] is p's own
		scan(ib, prefix, func(k, v []byte) {
			if c, err := storage.DecodeChange(0, v); err == nil {
				c.Path = ownPath(k)
				out = append(out, c)
			}
		})
	}
	return out
}

// flushJournal writes the group's journal record into tx, and the ctags
// when a checkpoint is due (ctags.go).
func (s *Store) flushJournal(tx *bbolt.Tx) error {
	jw := &s.jw
	if jw.first != 0 {
		jb := tx.Bucket(bucketJournal)
		jb.FillPercent = 1 // appended in key order: full pages
		if err := jb.SetSequence(jw.next - 1); err != nil {
			return err
		}
		if err := jb.Put(binary.BigEndian.AppendUint64(nil, jw.first), bytes.Clone(jw.buf)); err != nil {
			return err
		}
	}
	if jw.ckpt || jw.first != 0 && s.tags.due(len(jw.tags)) {
		jw.ckpt = true // asked for by Compact, or due
		return s.checkpoint(tx)
	}
	return nil
}

// committedJournal makes the group's ctags visible once its commit is on
// disk: pending, or all written by its checkpoint.
func (s *Store) committedJournal() {
	switch jw := &s.jw; {
	case jw.ckpt:
		s.tags.reset(time.Now())
	case jw.first != 0:
		s.tags.apply(jw.removed, jw.tags)
	}
}

// indexChange makes the index hold c's view of its path. An entry that
// would not change is not rewritten (a PROPPATCH changes no size or time).
func indexChange(ib, cb *bbolt.Bucket, c storage.Change) error {
	k := []byte(ownPrefix(c.Path))
	if err := checkKey(k); err != nil {
		return err
	}
	if c.Kind == storage.ChangeRemoved {
		if err := deleteKeys(ib, subtreeKeys(ib, c.Path)); err != nil {
			return err
		}
		return deleteKeys(cb, subtreeKeys(cb, c.Path)) // none for a file: no page rewritten
	}
	if err := indexAncestors(ib, c.Path); err != nil {
		return err
	}
	old := ib.Get(k)
	if c.Subtree && old != nil {
		return nil // moved or copied in by applyIntent, with its members
	}
	c.Seq, c.UnixNs, c.Subtree = 0, 0, false
	v := storage.EncodeChange(c)
	if bytes.Equal(old, v) {
		return nil
	}
	return ib.Put(k, v)
}

// indexAncestors indexes the folders above p that the index does not
// hold, as folders of unknown inode (see storage.Journal.RecordChanges).
func indexAncestors(ib *bbolt.Bucket, p string) error {
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		k := []byte(ownPrefix(d))
		if ib.Get(k) != nil {
			return nil
		}
		if err := ib.Put(k, storage.EncodeChange(storage.Change{Path: d, Kind: storage.ChangeUpsert, Dir: true})); err != nil {
			return err
		}
	}
	return nil
}

// journalIntent moves the index and ctags of an intent's tree change and
// records its changes, in the transaction completing it.
func (s *Store) journalIntent(b *bbolt.Bucket, rec intentRecord) error {
	tx := b.Tx()
	ib, cb := tx.Bucket(bucketIndex), tx.Bucket(bucketCtags)
	dir := false
	if v := ib.Get([]byte(ownPrefix(rec.Src))); v != nil {
		if c, err := storage.DecodeChange(0, v); err == nil {
			dir = c.Dir
		}
	}
	in := storage.Intent{Op: rec.Op, Src: rec.Src, Dst: rec.Dst, Depth0: rec.Depth0}
	changes := storage.IntentChanges(in, dir)
	if rec.Op == storage.OpMove { // the source's members go with it (see record), read before they move
		for _, m := range indexedBelow(ib, rec.Src) {
			changes = append(changes, storage.Change{Path: m.Path, Kind: storage.ChangeRemoved, Dir: m.Dir})
		}
		changes[0], changes[1] = changes[1], changes[0] // the removal first, then its members, the upsert last
		changes = append(changes[1:], changes[0])
	}
	if rec.Op != storage.OpDelete {
		if err := s.persistUnder(tx, rec.Src); err != nil {
			return err
		}
		// What the index still holds at the destination (gone from the
		// disk before the watcher saw it) is replaced by the tree coming
		// in: journaled as removed, not dropped unsaid.
		if v := ib.Get([]byte(ownPrefix(rec.Dst))); v != nil && rec.Dst != rec.Src {
			c, err := storage.DecodeChange(0, v)
			if err != nil {
				return err
			}
			if _, err := s.jw.record(tx, []storage.Change{{Path: rec.Dst, Kind: storage.ChangeRemoved, Dir: c.Dir}}); err != nil {
				return err
			}
		}
		for _, bk := range []*bbolt.Bucket{ib, cb} {
			if err := copyTree(bk, rec.Src, rec.Dst, rec.Op == storage.OpMove); err != nil {
				return err
			}
		}
	}
	_, err := s.jw.record(tx, changes)
	return err
}

// ChangesSince calls fn for each entry after since, reading the journal a
// batch at a time so that no read transaction stays open while fn runs.
func (s *Store) ChangesSince(ctx context.Context, since uint64, fn func(storage.Change) error) (uint64, error) {
	var end, horizon uint64
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		end = tx.Bucket(bucketJournal).Sequence()
		horizon = u64(tx.Bucket(bucketJMeta).Get(keyHorizon))
		return nil
	})
	if err != nil {
		return 0, err
	}
	if since < horizon || since > end {
		return 0, fmt.Errorf("bolt: sync point %d (journal holds %d to %d): %w", since, horizon, end, storage.ErrSyncTooOld)
	}
	for next := since + 1; next <= end; {
		batch, err := s.journalBatch(ctx, next, end)
		if err != nil {
			return 0, err
		}
		if len(batch) == 0 {
			break
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return 0, err
			}
		}
		next = batch[len(batch)-1].Seq + 1
	}
	return end, nil
}

// journalBatch reads about journalBatch entries, those from seq from on up
// to end: the group records holding them.
func (s *Store) journalBatch(ctx context.Context, from, end uint64) ([]storage.Change, error) {
	var out []storage.Change
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		k, v := c.Seek(binary.BigEndian.AppendUint64(nil, from))
		if k == nil || u64(k) > from { // from may lie in the group before
			if pk, pv := c.Prev(); pk != nil {
				k, v = pk, pv
			} else if k == nil {
				k, v = c.First()
			} else {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < journalBatch; k, v = c.Next() {
			group, err := decodeGroup(u64(k), v)
			if err != nil {
				return err
			}
			for _, ch := range group {
				if ch.Seq > end {
					return nil
				}
				if ch.Seq >= from {
					out = append(out, ch)
				}
			}
		}
		return nil
	})
	return out, err
}

// decodeGroup reads a group record of entries numbered from first.
func decodeGroup(first uint64, v []byte) ([]storage.Change, error) {
	var out []storage.Change
	for seq := first; len(v) > 0; seq++ {
		n, w := binary.Uvarint(v)
		if w <= 0 || uint64(len(v)-w) < n {
			return nil, fmt.Errorf("bolt: malformed journal record %d", first)
		}
		c, err := storage.DecodeChange(seq, v[w:w+int(n)])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		v = v[w+int(n):]
	}
	return out, nil
}

// SyncPoint is the sequence number of the last journal entry committed,
// as the writer noted it after the commit.
func (s *Store) SyncPoint(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, storage.ErrClosed
	}
	return s.syncPoint.Load(), nil
}

// IndexChildren calls fn for each direct child of dir in the index, in
// name order, a batch per read transaction.
func (s *Store) IndexChildren(ctx context.Context, dir string, fn func(storage.Change) error) error {
	if err := storage.CheckPaths(dir); err != nil {
		return err
	}
	prefix := []byte(dirKey(dir) + sepParent)
	after := prefix
	for {
		var batch []storage.Change
		var last []byte
		err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucketIndex).Cursor()
			k, v := c.Seek(after)
			if bytes.Equal(k, after) && len(after) > len(prefix) {
				k, v = c.Next()
			}
			for ; k != nil && bytes.HasPrefix(k, prefix) && len(batch) < journalBatch; k, v = c.Next() {
				if dir == "/" && string(k) == ownPrefix("/") {
					continue
				}
				ch, err := storage.DecodeChange(0, v)
				if err != nil {
					return err
				}
				ch.Path = ownPath(k)
				batch = append(batch, ch)
				last = bytes.Clone(k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(batch) < journalBatch {
			return nil
		}
		after = last
	}
}

// IndexEntry is the index's view of p, one read.
func (s *Store) IndexEntry(ctx context.Context, p string) (c storage.Change, ok bool, err error) {
	if err := storage.CheckPaths(p); err != nil {
		return c, false, err
	}
	err = s.viewTx(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketIndex).Get([]byte(ownPrefix(p)))
		if v == nil {
			return nil
		}
		c, err = storage.DecodeChange(0, v)
		c.Path, ok = p, err == nil
		return err
	})
	return c, ok, err
}

// FolderTag is the ctag of dir.
func (s *Store) FolderTag(ctx context.Context, dir string) (uint64, error) {
	if err := storage.CheckPaths(dir); err != nil {
		return 0, err
	}
	// The pending tag is read first: a checkpoint between the two reads
	// moves it to the bucket. Tags only grow, so the larger is the latest.
	pending, _ := s.tags.get(dir)
	var tag uint64
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		tag = u64(tx.Bucket(bucketCtags).Get([]byte(ownPrefix(dir))))
		return nil
	})
	return max(tag, pending), err
}

// FolderTags calls fn with the ctags of dir and its direct children.
func (s *Store) FolderTags(ctx context.Context, dir string, fn func(path string, tag uint64)) error {
	if err := storage.CheckPaths(dir); err != nil {
		return err
	}
	// Pending tags first, then the bucket's; the larger wins (see FolderTag).
	tags := map[string]uint64{}
	if t, ok := s.tags.get(dir); ok {
		tags[dir] = t
	}
	s.tags.children(dir, func(p string, t uint64) {
		if p != dir { // the root is its own parent
			tags[p] = t
		}
	})
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		cb := tx.Bucket(bucketCtags)
		own := ownPrefix(dir)
		if v := cb.Get([]byte(own)); v != nil {
			tags[dir] = max(tags[dir], u64(v))
		}
		scan(cb, dirKey(dir)+sepParent, func(k, v []byte) {
			if string(k) != own {
				p := ownPath(k)
				tags[p] = max(tags[p], u64(v))
			}
		})
		return nil
	})
	if err != nil {
		return err
	}
	for p, t := range tags {
		fn(p, t)
	}
	return nil
}

// Compact drops the entries older than olderThan or beyond the newest
// keep, a group record at a time (a record goes when its last entry may),
// a bounded number per commit.
func (s *Store) Compact(ctx context.Context, olderThan time.Time, keep uint64) (int, error) {
	cut := olderThan.UnixNano()
	total := 0
	for {
		n, groups := 0, 0
		err := s.submit(ctx, func(b *bbolt.Bucket) error {
			n, groups = 0, 0
			tx := b.Tx()
			jb := tx.Bucket(bucketJournal)
			end := jb.Sequence()
			// The group checkpoints the ctags at its end, past end: the
			// journal up to end is no longer their log.
			s.jw.ckpt = true
			tagsAt := end
			var last uint64
			c := jb.Cursor()
			for k, v := c.First(); k != nil && groups < compactBatch; k, v = c.First() {
				group, err := decodeGroup(u64(k), v)
				if err != nil || len(group) == 0 {
					return fmt.Errorf("compact: %w", err)
				}
				tail := group[len(group)-1]
				if tail.Seq > tagsAt || tail.UnixNs >= cut && (keep == 0 || end-tail.Seq < keep) {
					break
				}
				if err := c.Delete(); err != nil {
					return err
				}
				last, n, groups = tail.Seq, n+len(group), groups+1
			}
			if groups == 0 {
				return nil
			}
			return tx.Bucket(bucketJMeta).Put(keyHorizon, binary.BigEndian.AppendUint64(nil, last))
		})
		total += n
		if err != nil || groups < compactBatch {
			return total, err
		}
	}
}

// JournalID is the id initJournal gave this journal.
func (s *Store) JournalID(ctx context.Context) (string, error) {
	var id string
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		id = string(tx.Bucket(bucketJMeta).Get(keyJournalID))
		return nil
	})
	return id, err
}

// u64 decodes a big-endian uint64; 0 for anything else.
func u64(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

package bolt

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
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
	var seq uint64
	err := s.submit(ctx, func(b *bbolt.Bucket) error {
		var err error
		seq, err = record(b.Tx(), changes)
		return err
	})
	return seq, err
}

// journaled wraps apply so that it also records the changes ctx carries
// (storage.WithChanges), in the same transaction.
func journaled(ctx context.Context, apply func(*bbolt.Bucket) error) (func(*bbolt.Bucket) error, error) {
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
		_, err := record(b.Tx(), changes)
		return err
	}, nil
}

// record appends changes to the journal, updates the index and moves the
// ctags, in tx. It returns the sync point after them.
func record(tx *bbolt.Tx, changes []storage.Change) (uint64, error) {
	jb, ib, cb := tx.Bucket(bucketJournal), tx.Bucket(bucketIndex), tx.Bucket(bucketCtags)
	now := time.Now().UnixNano()
	tags := make(map[string]uint64, 4)
	var seq uint64
	for _, c := range changes {
		var err error
		if seq, err = jb.NextSequence(); err != nil {
			return 0, err
		}
		c.Seq, c.UnixNs = seq, now
		if err := jb.Put(binary.BigEndian.AppendUint64(nil, seq), storage.EncodeChange(c)); err != nil {
			return 0, err
		}
		if err := indexChange(ib, cb, c); err != nil {
			return 0, err
		}
		if c.Kind == storage.ChangeUpsert && c.Dir {
			tags[c.Path] = seq
		}
		storage.Ancestors(c.Path, func(dir string) { tags[dir] = seq })
	}
	for dir, seq := range tags {
		if err := cb.Put([]byte(ownPrefix(dir)), binary.BigEndian.AppendUint64(nil, seq)); err != nil {
			return 0, err
		}
	}
	return jb.Sequence(), nil
}

// indexChange makes the index hold c's view of its path.
func indexChange(ib, cb *bbolt.Bucket, c storage.Change) error {
	k := []byte(ownPrefix(c.Path))
	if err := checkKey(k); err != nil {
		return err
	}
	if c.Kind == storage.ChangeRemoved {
		if err := deleteKeys(ib, subtreeKeys(ib, c.Path)); err != nil {
			return err
		}
		return deleteKeys(cb, subtreeKeys(cb, c.Path))
	}
	if c.Subtree && ib.Get(k) != nil {
		return nil // moved or copied in by applyIntent, with its members
	}
	c.Seq, c.UnixNs, c.Subtree = 0, 0, false
	return ib.Put(k, storage.EncodeChange(c))
}

// journalIntent moves the index and ctags of an intent's tree change and
// records its changes, in the transaction completing it.
func journalIntent(b *bbolt.Bucket, rec intentRecord) error {
	tx := b.Tx()
	ib, cb := tx.Bucket(bucketIndex), tx.Bucket(bucketCtags)
	dir := false
	if v := ib.Get([]byte(ownPrefix(rec.Src))); v != nil {
		if c, err := storage.DecodeChange(0, v); err == nil {
			dir = c.Dir
		}
	}
	if rec.Op != storage.OpDelete {
		for _, bk := range []*bbolt.Bucket{ib, cb} {
			if err := copyTree(bk, rec.Src, rec.Dst, rec.Op == storage.OpMove); err != nil {
				return err
			}
		}
	}
	in := storage.Intent{Op: rec.Op, Src: rec.Src, Dst: rec.Dst, Depth0: rec.Depth0}
	_, err := record(tx, storage.IntentChanges(in, dir))
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

// journalBatch reads up to journalBatch entries from seq from on, up to end.
func (s *Store) journalBatch(ctx context.Context, from, end uint64) ([]storage.Change, error) {
	var out []storage.Change
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, from)); k != nil && len(out) < journalBatch; k, v = c.Next() {
			seq := u64(k)
			if seq > end {
				break
			}
			ch, err := storage.DecodeChange(seq, v)
			if err != nil {
				return err
			}
			out = append(out, ch)
		}
		return nil
	})
	return out, err
}

// SyncPoint is the sequence number of the last journal entry committed.
func (s *Store) SyncPoint(ctx context.Context) (uint64, error) {
	var seq uint64
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		seq = tx.Bucket(bucketJournal).Sequence()
		return nil
	})
	return seq, err
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

// FolderTag is the ctag of dir.
func (s *Store) FolderTag(ctx context.Context, dir string) (uint64, error) {
	if err := storage.CheckPaths(dir); err != nil {
		return 0, err
	}
	var tag uint64
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		tag = u64(tx.Bucket(bucketCtags).Get([]byte(ownPrefix(dir))))
		return nil
	})
	return tag, err
}

// FolderTags calls fn with the ctags of dir and its direct children.
func (s *Store) FolderTags(ctx context.Context, dir string, fn func(path string, tag uint64)) error {
	if err := storage.CheckPaths(dir); err != nil {
		return err
	}
	return s.viewTx(ctx, func(tx *bbolt.Tx) error {
		cb := tx.Bucket(bucketCtags)
		own := ownPrefix(dir)
		if v := cb.Get([]byte(own)); v != nil {
			fn(dir, u64(v))
		}
		scan(cb, dirKey(dir)+sepParent, func(k, v []byte) {
			if string(k) != own {
				fn(ownPath(k), u64(v))
			}
		})
		return nil
	})
}

// Compact drops the entries older than olderThan or beyond the newest
// keep, a bounded number per commit.
func (s *Store) Compact(ctx context.Context, olderThan time.Time, keep uint64) (int, error) {
	cut := olderThan.UnixNano()
	total := 0
	for {
		n := 0
		err := s.submit(ctx, func(b *bbolt.Bucket) error {
			n = 0
			tx := b.Tx()
			jb := tx.Bucket(bucketJournal)
			end := jb.Sequence()
			var last uint64
			c := jb.Cursor()
			for k, v := c.First(); k != nil && n < compactBatch; k, v = c.First() {
				seq := u64(k)
				ch, err := storage.DecodeChange(seq, v)
				if err != nil {
					return err
				}
				if ch.UnixNs >= cut && (keep == 0 || end-seq < keep) {
					break
				}
				if err := c.Delete(); err != nil {
					return err
				}
				last, n = seq, n+1
			}
			if n == 0 {
				return nil
			}
			return tx.Bucket(bucketJMeta).Put(keyHorizon, binary.BigEndian.AppendUint64(nil, last))
		})
		total += n
		if err != nil || n < compactBatch {
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

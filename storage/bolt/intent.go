package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// ErrInvalidIntent is storage.ErrInvalidIntent, which BeginIntent's error
// wraps for an intent with an unknown Op, or an OpDelete with a Dst.
var ErrInvalidIntent = storage.ErrInvalidIntent

// intentRecord is an intent without its ID, which is its key in the
// "intents" bucket.
type intentRecord struct {
	Op     storage.Op
	Src    string
	Dst    string
	Depth0 bool
}

// encode lays rec out as op, src, dst and depth0 ("1" or "") separated by
// NUL bytes, which no path or known op holds. Not JSON: it would replace
// bytes of a path that are not UTF-8, and paths need not be.
func (rec intentRecord) encode() []byte {
	d := ""
	if rec.Depth0 {
		d = "1"
	}
	return []byte(strings.Join([]string{string(rec.Op), rec.Src, rec.Dst, d}, "\x00"))
}

// BeginIntent durably records in under a new ID, greater than every ID
// given before by this database, and returns it with that ID. Depth0 is
// kept but only OpCopy heeds it.
func (s *Store) BeginIntent(ctx context.Context, in storage.Intent) (storage.Intent, error) {
	rec := intentRecord{Op: in.Op, Src: in.Src, Dst: in.Dst, Depth0: in.Depth0}
	if err := storage.CheckIntent(in); err != nil {
		return storage.Intent{}, err
	}
	v := rec.encode()
	var id uint64 // set by the run that commits; read after submit returns
	err := s.submit(ctx, func(b *bbolt.Bucket) error {
		ib := intents(b)
		seq, err := ib.NextSequence()
		if err != nil {
			return err
		}
		id = seq
		return ib.Put(intentKey(seq), v)
	})
	if err != nil {
		return storage.Intent{}, err
	}
	in.ID = id
	return in, nil
}

// CompleteIntent applies the property change of intent id and deletes the
// intent, in one durable transaction. An unknown id is refused before
// queueing; one that disappears meanwhile (a concurrent Complete or Abort)
// fails its own write alone.
func (s *Store) CompleteIntent(ctx context.Context, id uint64) error {
	if err := s.haveIntent(ctx, id); err != nil {
		return err
	}
	return s.submit(ctx, func(b *bbolt.Bucket) error {
		rec, err := loadIntent(intents(b), id)
		if err != nil {
			return err
		}
		if err := applyIntent(b, rec); err != nil {
			return err
		}
		if err := s.journalIntent(b, rec); err != nil {
			return err
		}
		return intents(b).Delete(intentKey(id))
	})
}

// AbortIntent deletes intent id without touching any property.
func (s *Store) AbortIntent(ctx context.Context, id uint64) error {
	if err := s.haveIntent(ctx, id); err != nil {
		return err
	}
	return s.submit(ctx, func(b *bbolt.Bucket) error {
		if _, err := loadIntent(intents(b), id); err != nil {
			return err
		}
		return intents(b).Delete(intentKey(id))
	})
}

// Intents lists the unfinished intents, oldest (lowest ID) first.
func (s *Store) Intents(ctx context.Context) ([]storage.Intent, error) {
	var out []storage.Intent
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketIntents).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("malformed intent key %x", k)
			}
			id := binary.BigEndian.Uint64(k)
			rec, err := decodeIntent(id, v)
			if err != nil {
				return err
			}
			out = append(out, storage.Intent{ID: id, Op: rec.Op, Src: rec.Src, Dst: rec.Dst, Depth0: rec.Depth0})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// haveIntent returns an error wrapping storage.ErrNoIntent unless intent id
// exists now. IDs are never reused, so one found missing stays missing.
func (s *Store) haveIntent(ctx context.Context, id uint64) error {
	return s.viewTx(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketIntents).Get(intentKey(id)) == nil {
			return fmt.Errorf("intent %d: %w", id, storage.ErrNoIntent)
		}
		return nil
	})
}

// applyIntent makes the property change rec stands for.
func applyIntent(b *bbolt.Bucket, rec intentRecord) error {
	switch {
	case rec.Op == storage.OpMove:
		return copyTree(b, rec.Src, rec.Dst, true)
	case rec.Op == storage.OpCopy && rec.Depth0:
		return copyOwn(b, rec.Src, rec.Dst)
	case rec.Op == storage.OpCopy:
		return copyTree(b, rec.Src, rec.Dst, false)
	default: // storage.OpDelete; loadIntent checked the record
		return deleteKeys(b, subtreeKeys(b, rec.Src))
	}
}

// copyOwn replaces the properties of dst and its descendants with a copy of
// src's own properties. src is read first, so it may lie inside dst.
func copyOwn(b *bbolt.Bucket, src, dst string) error {
	own, to := ownPrefix(src), ownPrefix(dst)
	var puts [][2][]byte
	scan(b, own, func(k, v []byte) {
		puts = append(puts, [2][]byte{append([]byte(to), k[len(own):]...), bytes.Clone(v)})
	})
	if err := deleteKeys(b, subtreeKeys(b, dst)); err != nil {
		return err
	}
	return putAll(b, puts)
}

// intents returns the intent bucket of the transaction b belongs to.
func intents(b *bbolt.Bucket) *bbolt.Bucket {
	return b.Tx().Bucket(bucketIntents)
}

// loadIntent reads and checks intent id, or fails wrapping
// storage.ErrNoIntent.
func loadIntent(ib *bbolt.Bucket, id uint64) (intentRecord, error) {
	v := ib.Get(intentKey(id))
	if v == nil {
		return intentRecord{}, fmt.Errorf("intent %d: %w", id, storage.ErrNoIntent)
	}
	return decodeIntent(id, v)
}

// decodeIntent parses a stored intent and checks it as BeginIntent did, so
// that a damaged record is reported rather than applied.
func decodeIntent(id uint64, v []byte) (intentRecord, error) {
	f := strings.Split(string(v), "\x00")
	if len(f) != 4 || (f[3] != "" && f[3] != "1") {
		return intentRecord{}, fmt.Errorf("intent %d: malformed record %q", id, v)
	}
	rec := intentRecord{Op: storage.Op(f[0]), Src: f[1], Dst: f[2], Depth0: f[3] == "1"}
	if err := storage.CheckIntent(storage.Intent{Op: rec.Op, Src: rec.Src, Dst: rec.Dst}); err != nil {
		return rec, fmt.Errorf("intent %d: %w", id, err)
	}
	return rec, nil
}

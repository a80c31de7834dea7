package bolt

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// liveKey is the key of path's record for name in the "live" bucket:
// path + NUL + namespace + NUL + local. A path holds no byte below 0x20 and
// a local name no NUL, so the first NUL ends the path and the last one the
// namespace.
func liveKey(path string, name xml.Name) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	k := []byte(path + sepName + name.Space + sepName + name.Local)
	return k, checkKey(k)
}

// splitLiveKey reverses liveKey.
func splitLiveKey(k []byte) (string, xml.Name, error) {
	s := string(k)
	i, j := strings.IndexByte(s, 0), strings.LastIndexByte(s, 0)
	if i < 0 || i == j || !storage.ValidPath(s[:i]) {
		return "", xml.Name{}, fmt.Errorf("bolt: malformed live record key %q", k)
	}
	return s[:i], xml.Name{Space: s[i+1 : j], Local: s[j+1:]}, nil
}

// PatchPropsLive is PatchProps that also records the settable live
// properties' changes of the same request in the same transaction.
func (s *Store) PatchPropsLive(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name, live map[xml.Name][]byte) error {
	puts, dels, err := patchKeys(path, set, remove)
	if err != nil {
		return err
	}
	recs, err := liveKeys(path, live)
	if err != nil {
		return err
	}
	apply, err := s.journaled(ctx, func(b *bbolt.Bucket) error {
		if err := putThenDelete(b.Tx().Bucket(bucketLive), recs, nil); err != nil {
			return err
		}
		return putThenDelete(b, puts, dels)
	})
	if err != nil {
		return err
	}
	return s.submit(ctx, apply)
}

// liveKeys validates live and returns its puts in the "live" bucket.
func liveKeys(path string, live map[xml.Name][]byte) ([][2][]byte, error) {
	if err := storage.CheckPaths(path); err != nil {
		return nil, err
	}
	recs := make([][2][]byte, 0, len(live))
	for name, rec := range live {
		k, err := liveKey(path, name)
		if err != nil {
			return nil, err
		}
		recs = append(recs, [2][]byte{k, bytes.Clone(rec)})
	}
	return recs, nil
}

// ClearLive forgets path's records that still hold the bytes given. It is
// queued for the next group commit and does not wait for it: a record a
// crash keeps is judged again at recovery.
func (s *Store) ClearLive(ctx context.Context, path string, live map[xml.Name][]byte) error {
	recs, err := liveKeys(path, live)
	if err != nil {
		return err
	}
	w := &write{ctx: context.WithoutCancel(ctx), done: make(chan error, 1), apply: func(b *bbolt.Bucket) error {
		lb := b.Tx().Bucket(bucketLive)
		for _, kv := range recs {
			if bytes.Equal(lb.Get(kv[0]), kv[1]) {
				if err := lb.Delete(kv[0]); err != nil {
					return err
				}
			}
		}
		return nil
	}}
	return s.enqueue(ctx, w)
}

// LiveRecords lists every live record, in key order (by path, then name).
func (s *Store) LiveRecords(ctx context.Context) ([]storage.LiveRecord, error) {
	var out []storage.LiveRecord
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		lb := tx.Bucket(bucketLive)
		if lb == nil {
			return nil
		}
		return lb.ForEach(func(k, v []byte) error {
			p, name, err := splitLiveKey(k)
			if err != nil {
				return err
			}
			out = append(out, storage.LiveRecord{Path: p, Name: name, Record: bytes.Clone(v)})
			return nil
		})
	})
	return out, err
}

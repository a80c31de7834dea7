package bolt

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// Props returns the dead properties of one resource; an empty map when it
// has none.
func (s *Store) Props(ctx context.Context, path string) (map[xml.Name][]byte, error) {
	if !storage.ValidPath(path) {
		return nil, fmt.Errorf("%w: %q", storage.ErrInvalidPath, path)
	}
	props := make(map[xml.Name][]byte)
	err := s.view(ctx, func(b *bbolt.Bucket) {
		own := ownPrefix(path)
		scan(b, own, func(k, v []byte) {
			props[splitName(k[len(own):])] = bytes.Clone(v)
		})
	})
	if err != nil {
		return nil, err
	}
	return props, nil
}

// FolderProps returns, in one read transaction, the properties of dir and of
// its direct children, keyed by resource path.
func (s *Store) FolderProps(ctx context.Context, dir string) (map[string]map[xml.Name][]byte, error) {
	if !storage.ValidPath(dir) {
		return nil, fmt.Errorf("%w: %q", storage.ErrInvalidPath, dir)
	}
	out := make(map[string]map[xml.Name][]byte)
	add := func(path string, name xml.Name, v []byte) {
		if out[path] == nil {
			out[path] = make(map[xml.Name][]byte)
		}
		out[path][name] = bytes.Clone(v)
	}
	err := s.view(ctx, func(b *bbolt.Bucket) {
		if dir != "/" { // the root's own keys lie inside its children's range
			own := ownPrefix(dir)
			scan(b, own, func(k, v []byte) { add(dir, splitName(k[len(own):]), v) })
		}
		children := dirKey(dir) + sepParent
		scan(b, children, func(k, v []byte) {
			tail := k[len(children):]
			i := bytes.IndexByte(tail, 0)
			add(childPath(dir, string(tail[:i])), splitName(tail[i+1:]), v)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// childPath joins dir and a base name; the empty base is the root itself.
func childPath(dir, base string) string {
	switch {
	case base == "":
		return "/"
	case dir == "/":
		return "/" + base
	default:
		return dir + "/" + base
	}
}

// WalkResources calls fn with the path of every resource holding at least
// one property, in key order (see keys.go), from one read transaction. The
// paths are collected first and fn is called after the transaction ends, so
// that fn may use the store, even write to it: a write made from inside the
// transaction could wait forever on the writer, which must wait for open
// read transactions before it grows the file's mapping (and Close, holding
// mu, for the reader).
func (s *Store) WalkResources(ctx context.Context, fn func(path string) error) error {
	var paths []string
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		var last []byte // own prefix of the previous key; valid during tx
		c := tx.Bucket(bucketProps).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			own, ok := ownOf(k)
			if !ok {
				return fmt.Errorf("malformed key %q", k)
			}
			if !bytes.Equal(own, last) {
				paths = append(paths, ownPath(own))
				last = own
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// view runs fn in a read transaction over the props bucket.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Bucket)) error {
	return s.viewTx(ctx, func(tx *bbolt.Tx) error {
		fn(tx.Bucket(bucketProps))
		return nil
	})
}

// viewTx runs fn in a read transaction.
func (s *Store) viewTx(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return storage.ErrClosed
	}
	if err := s.db.View(fn); err != nil {
		return fmt.Errorf("bolt: read: %w", err)
	}
	return nil
}

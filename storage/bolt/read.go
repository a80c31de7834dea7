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
		var r reader
		own := ownPrefix(path)
		scan(b, own, func(k, v []byte) {
			props[r.name(k[len(own):])] = r.value(v)
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
	return s.folderProps(ctx, dir, nil)
}

// FolderPropsExcept is FolderProps leaving out the properties in the
// namespace space: a listing that reports none of them (the server's
// reserved records, see internal/dav) need not copy them, nor make a map
// for a member that has no other.
func (s *Store) FolderPropsExcept(ctx context.Context, dir, space string) (map[string]map[xml.Name][]byte, error) {
	skip := []byte(space)
	return s.folderProps(ctx, dir, func(name []byte) bool {
		i := bytes.LastIndexByte(name, 0)
		return i >= 0 && bytes.Equal(name[:i], skip)
	})
}

// folderProps is FolderProps leaving out the properties whose encoded
// name (namespace, NUL, local name) skip reports; nil skips none.
func (s *Store) folderProps(ctx context.Context, dir string, skip func(name []byte) bool) (map[string]map[xml.Name][]byte, error) {
	if !storage.ValidPath(dir) {
		return nil, fmt.Errorf("%w: %q", storage.ErrInvalidPath, dir)
	}
	out := make(map[string]map[xml.Name][]byte)
	var r reader
	// Keys come in order, a resource's together: cur is the map of the
	// resource whose base name is base, found again without a lookup.
	var cur map[xml.Name][]byte
	base := []byte(nil)
	err := s.view(ctx, func(b *bbolt.Bucket) {
		if dir != "/" { // the root's own keys lie inside its children's range
			own := ownPrefix(dir)
			scan(b, own, func(k, v []byte) {
				if skip != nil && skip(k[len(own):]) {
					return
				}
				if out[dir] == nil {
					out[dir] = make(map[xml.Name][]byte)
				}
				out[dir][r.name(k[len(own):])] = r.value(v)
			})
		}
		children := dirKey(dir) + sepParent
		scan(b, children, func(k, v []byte) {
			tail := k[len(children):]
			i := bytes.IndexByte(tail, 0)
			if skip != nil && skip(tail[i+1:]) {
				return
			}
			if cur == nil || !bytes.Equal(tail[:i], base) {
				base = append(base[:0], tail[:i]...)
				p := childPath(dir, string(base))
				if cur = out[p]; cur == nil { // the root's own keys, after its own scan
					cur = make(map[xml.Name][]byte)
					out[p] = cur
				}
			}
			cur[r.name(tail[i+1:])] = r.value(v)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reader decodes the keys and values of one read with few allocations:
// each name is split as splitName does, reusing the strings of the
// previous name where they repeat (every file has a content record, and
// a client sets the same properties on many files), and values are
// copied into chunks shared by many (the copies outlive the transaction,
// whose memory bbolt may reuse).
type reader struct {
	last  xml.Name
	chunk []byte
}

// name is splitName(tail).
func (r *reader) name(tail []byte) xml.Name {
	i := bytes.LastIndexByte(tail, 0)
	if space := tail[:i]; string(space) != r.last.Space { // compared without a copy
		r.last.Space = string(space)
	}
	if local := tail[i+1:]; string(local) != r.last.Local {
		r.last.Local = string(local)
	}
	return r.last
}

// value is a copy of v, its capacity its length: appending to one never
// writes into the next.
func (r *reader) value(v []byte) []byte {
	if len(v) > cap(r.chunk)-len(r.chunk) {
		// Chunks double from 512 bytes to 64 KiB, so one resource's few
		// values share one and a folder's many take few.
		size := min(max(2*cap(r.chunk), 512), 64<<10)
		r.chunk = make([]byte, 0, max(size, len(v)))
	}
	start := len(r.chunk)
	r.chunk = append(r.chunk, v...)
	return r.chunk[start:len(r.chunk):len(r.chunk)]
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

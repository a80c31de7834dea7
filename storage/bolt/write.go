package bolt

import (
	"bytes"
	"context"
	"encoding/xml"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// PatchProps sets and then removes properties of one resource in one durable
// transaction. A name both in set and in remove ends removed.
func (s *Store) PatchProps(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name) error {
	puts, dels, err := patchKeys(path, set, remove)
	if err != nil {
		return err
	}
	apply, err := s.journaled(ctx, func(b *bbolt.Bucket) error {
		return putThenDelete(b, puts, dels)
	})
	if err != nil {
		return err
	}
	return s.submit(ctx, apply)
}

// patchKeys validates a PatchProps and returns its puts and deletes.
func patchKeys(path string, set map[xml.Name][]byte, remove []xml.Name) (puts [][2][]byte, dels [][]byte, err error) {
	if err := storage.CheckPaths(path); err != nil {
		return nil, nil, err
	}
	own := ownPrefix(path)
	puts = make([][2][]byte, 0, len(set))
	for name, v := range set {
		k, err := nameKey(own, name)
		if err != nil {
			return nil, nil, err
		}
		puts = append(puts, [2][]byte{k, v})
	}
	dels = make([][]byte, 0, len(remove))
	for _, name := range remove {
		k, err := nameKey(own, name)
		if err != nil {
			return nil, nil, err
		}
		dels = append(dels, k)
	}
	return puts, dels, nil
}

// putThenDelete writes puts, then deletes dels.
func putThenDelete(b *bbolt.Bucket, puts [][2][]byte, dels [][]byte) error {
	for _, kv := range puts {
		if err := b.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return deleteKeys(b, dels)
}

// nameKey validates name and returns its key under own.
func nameKey(own string, name xml.Name) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	k := propKey(own, name)
	return k, checkKey(k)
}

// CopyTree replaces the properties of dst and its descendants with a copy of
// those of src and its descendants, in one transaction. The source is read
// before the destination is cleared, so src == dst leaves the tree as it was
// and overlapping trees end with dst holding src's former subtree.
//
// It is not part of storage.Store: atomdav's own server changes properties
// with the tree only through intents (CompleteIntent), which survive a
// crash between the two. It is here for servers that keep them in step
// themselves, such as one wrapped by proppatch/xnetdav.
func (s *Store) CopyTree(ctx context.Context, src, dst string) error {
	if err := storage.CheckPaths(src, dst); err != nil {
		return err
	}
	return s.submit(ctx, func(b *bbolt.Bucket) error {
		return copyTree(b, src, dst, false)
	})
}

// MoveTree is CopyTree followed by DeleteTree(src), in one transaction; the
// destination keeps what was copied even where it lies inside src, so a move
// onto itself changes nothing. Like CopyTree, it is outside storage.Store.
func (s *Store) MoveTree(ctx context.Context, src, dst string) error {
	if err := storage.CheckPaths(src, dst); err != nil {
		return err
	}
	return s.submit(ctx, func(b *bbolt.Bucket) error {
		return copyTree(b, src, dst, true)
	})
}

// DeleteTree removes the properties of path and all its descendants in one
// transaction.
func (s *Store) DeleteTree(ctx context.Context, path string) error {
	if err := storage.CheckPaths(path); err != nil {
		return err
	}
	return s.submit(ctx, func(b *bbolt.Bucket) error {
		return deleteKeys(b, subtreeKeys(b, path))
	})
}

// copyTree reads src's subtree, clears dst's (and src's if move), then
// writes the copy.
func copyTree(b *bbolt.Bucket, src, dst string, move bool) error {
	var puts [][2][]byte
	for _, p := range subtreePrefixes(src) {
		scan(b, p, func(k, v []byte) {
			puts = append(puts, [2][]byte{rebase(k, src, dst), bytes.Clone(v)})
		})
	}
	if err := deleteKeys(b, subtreeKeys(b, dst)); err != nil {
		return err
	}
	if move {
		if err := deleteKeys(b, subtreeKeys(b, src)); err != nil {
			return err
		}
	}
	return putAll(b, puts)
}

// putAll writes the key/value pairs, refusing keys bbolt cannot hold.
func putAll(b *bbolt.Bucket, puts [][2][]byte) error {
	for _, kv := range puts {
		if err := checkKey(kv[0]); err != nil {
			return err
		}
		if err := b.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// subtreeKeys returns copies of the keys of path and its descendants.
func subtreeKeys(b *bbolt.Bucket, path string) [][]byte {
	var keys [][]byte
	for _, p := range subtreePrefixes(path) {
		scan(b, p, func(k, _ []byte) { keys = append(keys, bytes.Clone(k)) })
	}
	return keys
}

func deleteKeys(b *bbolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// PatchPropsIf is PatchProps run only if guard returns nil; guard's error
// is returned as it is (wrapped) and nothing is changed. guard is given
// how many properties path holds and a function that returns their names
// (decoded only if guard calls it). The read and the patch are one
// transaction, so guard sees the state the patch applies to, and a refused
// patch does not fail the rest of its commit group. guard runs on the
// group-commit writer: it must be quick, must not call the Store, and may
// call names only while it runs.
func (s *Store) PatchPropsIf(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name,
	guard func(n int, names func() []xml.Name) error) error {
	puts, dels, err := patchKeys(path, set, remove)
	if err != nil {
		return err
	}
	own := ownPrefix(path)
	apply, err := s.journaled(ctx, func(b *bbolt.Bucket) error {
		n := 0
		scan(b, own, func(_, _ []byte) { n++ })
		names := func() []xml.Name {
			stored := make([]xml.Name, 0, n)
			scan(b, own, func(k, _ []byte) {
				stored = append(stored, splitName(k[len(own):]))
			})
			return stored
		}
		if err := guard(n, names); err != nil {
			return refuse(err)
		}
		return putThenDelete(b, puts, dels)
	})
	if err != nil {
		return err
	}
	return s.submit(ctx, apply)
}

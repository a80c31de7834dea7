package postgres

import (
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"

	"github.com/atomdav/atomdav/storage"
)

// checkName rejects a property name that cannot be stored under path.
func checkName(path string, n xml.Name) error {
	switch {
	case n.Local == "":
		return fmt.Errorf("%w: empty local name in %q", ErrInvalidName, n.Space)
	case len(path)+len(n.Space)+len(n.Local) > MaxKeyBytes:
		return fmt.Errorf("%w: key of %d bytes exceeds %d", ErrInvalidName, len(path)+len(n.Space)+len(n.Local), MaxKeyBytes)
	}
	return nil
}

// depth is the number of segments of a canonical path: 0 for the root.
func depth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}

// dirKey is p as the start of its descendants' paths: "" for the root.
func dirKey(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

// subtree holds the bounds that select a path and its descendants:
// path = own OR path >= lo AND path < hi. '0' is the byte after '/', so
// prefix siblings such as "/a b", "/a-" or "/ab" fall outside.
type subtree struct {
	own, lo, hi []byte
}

func subtreeOf(p string) subtree {
	d := dirKey(p)
	return subtree{own: []byte(p), lo: []byte(d + "/"), hi: []byte(d + "0")}
}

// inside reports whether p is root or one of its descendants.
func inside(p, root string) bool {
	return p == root || storage.IsBelow(p, root)
}

// ancestors returns the proper ancestors of p, the root first.
func ancestors(p string) []string {
	var out []string
	for p != "/" {
		i := strings.LastIndexByte(p, '/')
		if i == 0 {
			p = "/"
		} else {
			p = p[:i]
		}
		out = append(out, p)
	}
	slices.Reverse(out)
	return out
}

// byteSlices converts paths to the bytea values of a query.
func byteSlices(ps []string) [][]byte {
	out := make([][]byte, len(ps))
	for i, p := range ps {
		out[i] = []byte(p)
	}
	return out
}

// Advisory lock spaces (see doc.go, Concurrency).
const (
	spaceSubtree  = 's' // held shared by writes below a path, exclusively by tree changes of it
	spaceResource = 'r' // held exclusively by a PatchProps of the path
	spaceInstance = 'i' // held by a live instance, keyed by its id, for its session
)

// lockSet is the advisory locks one transaction takes: key → exclusive.
type lockSet map[int64]bool

// add asks for the lock on path p in space; exclusive wins over shared.
func (ls lockSet) add(salt string, space byte, p string, exclusive bool) {
	k := lockKey(salt, space, p)
	ls[k] = ls[k] || exclusive
}

// forPatch adds the locks of a PatchProps of p.
func (ls lockSet) forPatch(salt, p string) lockSet {
	for _, a := range ancestors(p) {
		ls.add(salt, spaceSubtree, a, false)
	}
	ls.add(salt, spaceSubtree, p, false)
	ls.add(salt, spaceResource, p, true)
	return ls
}

// forTree adds the locks of a change of the subtree at p.
func (ls lockSet) forTree(salt, p string) lockSet {
	for _, a := range ancestors(p) {
		ls.add(salt, spaceSubtree, a, false)
	}
	ls.add(salt, spaceSubtree, p, true)
	return ls
}

// args returns the keys in ascending order, the one order every
// transaction takes its locks in, and whether each is exclusive.
func (ls lockSet) args() ([]int64, []bool) {
	keys := slices.Sorted(maps.Keys(ls))
	excl := make([]bool, len(keys))
	for i, k := range keys {
		excl[i] = ls[k]
	}
	return keys, excl
}

// lockKey is the advisory lock key of path p in space, for the schema salt.
func lockKey(salt string, space byte, p string) int64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte{0, space})
	h.Write([]byte(p))
	return int64(h.Sum64())
}

// sqlLock takes the locks of args in the order given (WITH ORDINALITY; the
// planner evaluates volatile functions in the target list after ORDER BY).
const sqlLock = `
	SELECT CASE WHEN x THEN pg_advisory_xact_lock(k) ELSE pg_advisory_xact_lock_shared(k) END
	FROM unnest($1::bigint[], $2::boolean[]) WITH ORDINALITY AS t(k, x, n) ORDER BY n`

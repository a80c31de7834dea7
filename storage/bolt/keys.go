package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"
)

// Key layout of the "props" bucket: one key per property,
//
//	parent + "\x01" + base + "\x00" + namespace + "\x00" + local
//
// where parent is the resource's parent path without a trailing slash ("" for
// the children of the root) and base its last segment. The root itself has
// parent "" and base "": "\x01\x00" + namespace + "\x00" + local. Resource
// paths hold no byte below 0x20 (storage.ValidPath) and local names hold no
// NUL (checkName), so a key splits back unambiguously: the parent ends at the
// first 0x01, the base at the next 0x00, the namespace at the last 0x00.
//
// With dir(P) = P, or "" for the root, each of these is a key prefix, hence
// a contiguous range:
//
//	properties of P            parent(P) + "\x01" + base(P) + "\x00"   (root: "\x01\x00")
//	direct children of P       dir(P) + "\x01"   (root: "\x01", which starts with the root's own "\x01\x00")
//	all descendants of P       dir(P) + "\x01" and dir(P) + "/"   (root: "\x01" and "/", i.e. every key)
//
// The prefix trap is closed by construction: in the keys of "/ab", "/a b"
// or "/ab/x" the byte after "/a" is 'b' or ' ', never 0x00, 0x01 or '/'.
const (
	sepParent = "\x01" // ends the parent path
	sepName   = "\x00" // ends the base name and the namespace
)

// Bucket names.
var (
	bucketProps   = []byte("props")
	bucketIntents = []byte("intents") // intent ID (big-endian uint64) → intentRecord.encode()
	bucketLocks   = []byte("locks")   // lock token → lockRecord.encode()
	bucketLive    = []byte("live")    // liveKey(path, name) → the record of a settable live property
)

// dirKey is p as the parent part of its children's keys.
func dirKey(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

// ownPrefix is the prefix of the keys of p's own properties.
func ownPrefix(p string) string {
	if p == "/" {
		return sepParent + sepName
	}
	i := strings.LastIndexByte(p, '/')
	return p[:i] + sepParent + p[i+1:] + sepName
}

// subtreePrefixes returns disjoint prefixes covering p and its descendants.
func subtreePrefixes(p string) []string {
	if p == "/" {
		return []string{sepParent, "/"}
	}
	return []string{ownPrefix(p), p + sepParent, p + "/"}
}

// ownOf returns the own prefix of the resource a props key belongs to: up to
// and including the NUL after the base name. ok is false for a key not laid
// out as above.
func ownOf(k []byte) (own []byte, ok bool) {
	i := bytes.IndexByte(k, sepParent[0])
	if i < 0 {
		return nil, false
	}
	j := bytes.IndexByte(k[i+1:], sepName[0])
	if j < 0 {
		return nil, false
	}
	return k[:i+1+j+1], true
}

// ownPath is the resource path whose own prefix is own; the inverse of
// ownPrefix.
func ownPath(own []byte) string {
	i := bytes.IndexByte(own, sepParent[0])
	parent, base := string(own[:i]), string(own[i+1:len(own)-1])
	if parent == "" {
		return childPath("/", base)
	}
	return childPath(parent, base)
}

// intentKey is the key of intent id: big-endian, so that key order is ID
// order.
func intentKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}

// propKey is the key of one property of the resource whose own prefix is own.
func propKey(own string, name xml.Name) []byte {
	return []byte(own + name.Space + sepName + name.Local)
}

// splitName parses the namespace + "\x00" + local tail of a key.
func splitName(tail []byte) xml.Name {
	i := bytes.LastIndexByte(tail, 0)
	return xml.Name{Space: string(tail[:i]), Local: string(tail[i+1:])}
}

// checkName rejects names that cannot be encoded in a key.
func checkName(n xml.Name) error {
	if n.Local == "" || strings.IndexByte(n.Local, 0) >= 0 {
		return fmt.Errorf("%w: %q", ErrInvalidName, n.Space+" "+n.Local)
	}
	return nil
}

// checkKey rejects keys that bbolt cannot store.
func checkKey(k []byte) error {
	if len(k) > bbolt.MaxKeySize {
		return fmt.Errorf("%w: key of %d bytes exceeds %d", ErrInvalidName, len(k), bbolt.MaxKeySize)
	}
	return nil
}

// rebase maps a key of the subtree at src to the same place under dst.
func rebase(k []byte, src, dst string) []byte {
	if own := ownPrefix(src); bytes.HasPrefix(k, []byte(own)) {
		return append([]byte(ownPrefix(dst)), k[len(own):]...)
	}
	return append([]byte(dirKey(dst)), k[len(dirKey(src)):]...)
}

// scan calls fn for each key of b starting with prefix, in order. k and v
// are valid only during the transaction.
func scan(b *bbolt.Bucket, prefix string, fn func(k, v []byte)) {
	p := []byte(prefix)
	c := b.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		fn(k, v)
	}
}

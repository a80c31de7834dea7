package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// lockRecord is a lock as the "locks" bucket keeps it under its token, with
// the time it was created, which orders Locks (a refresh moves Expires, not
// the lock's age).
type lockRecord struct {
	lock    storage.Lock
	created int64 // Unix nanoseconds
}

// Version 2 of the record layout. Each "bytes" is a uvarint length then
// that many bytes, so paths, owner XML and namespace URIs are kept byte for
// byte whatever they hold (JSON would mangle bytes that are not UTF-8):
//
//	byte     version (2)
//	byte     flags: lockDepth0 | lockShared
//	varint   Timeout, nanoseconds
//	varint   created, Unix nanoseconds
//	varint   Expires, Unix nanoseconds
//	bytes    Root
//	bytes    Owner
//	uvarint  number of OwnerNS entries, then for each, by prefix: bytes prefix, bytes URI
//	bytes    Principal
//
// Version 1, written before locks had principals, ends after OwnerNS; its
// locks decode as the anonymous principal's ("").
const (
	lockVersion   = 2
	lockVersionV1 = 1
	lockDepth0    = 1 << 0
	lockShared    = 1 << 1
)

// errMalformedLock is wrapped by decodeLock's errors.
var errMalformedLock = errors.New("malformed lock record")

// encode lays rec out as described above; the token is the key.
func (rec lockRecord) encode() []byte {
	l := rec.lock
	var flags byte
	if l.Depth0 {
		flags |= lockDepth0
	}
	if l.Shared {
		flags |= lockShared
	}
	b := []byte{lockVersion, flags}
	b = binary.AppendVarint(b, int64(l.Timeout))
	b = binary.AppendVarint(b, rec.created)
	b = binary.AppendVarint(b, l.Expires.UnixNano())
	b = appendBytes(b, l.Root)
	b = appendBytes(b, string(l.Owner))
	b = binary.AppendUvarint(b, uint64(len(l.OwnerNS)))
	for _, prefix := range slices.Sorted(maps.Keys(l.OwnerNS)) {
		b = appendBytes(b, prefix)
		b = appendBytes(b, l.OwnerNS[prefix])
	}
	return appendBytes(b, l.Principal)
}

func appendBytes(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decodeLock parses the record of token and checks it as CreateLock checked
// the lock, so that a damaged record is reported rather than trusted. It
// copies what it keeps: v may be bbolt's memory, valid only during its
// transaction.
func decodeLock(token string, v []byte) (lockRecord, error) {
	d := decoder{b: v}
	version, flags := d.byte(), d.byte()
	var rec lockRecord
	l := &rec.lock
	l.Token = token
	l.Depth0, l.Shared = flags&lockDepth0 != 0, flags&lockShared != 0
	l.Timeout = time.Duration(d.varint())
	rec.created = d.varint()
	l.Expires = time.Unix(0, d.varint())
	l.Root = string(d.bytes())
	if owner := d.bytes(); len(owner) > 0 {
		l.Owner = owner
	}
	n := d.uvarint()
	if n > uint64(len(d.b))/2 { // each entry takes at least two bytes
		d.fail()
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		if l.OwnerNS == nil {
			l.OwnerNS = make(map[string]string, n)
		}
		prefix := string(d.bytes())
		l.OwnerNS[prefix] = string(d.bytes())
	}
	if version == lockVersion {
		l.Principal = string(d.bytes())
	}
	switch {
	case version != lockVersion && version != lockVersionV1:
		return rec, malformed(token, "unknown version")
	case d.err != nil || len(d.b) != 0:
		return rec, malformed(token, "truncated or trailing bytes")
	case flags&^(lockDepth0|lockShared) != 0:
		return rec, malformed(token, "unknown flags")
	case l.Timeout <= 0 || !storage.ValidPath(l.Root) || token == "":
		return rec, malformed(token, "invalid lock")
	}
	return rec, nil
}

func malformed(token, why string) error {
	return fmt.Errorf("lock %q: %w: %s", token, errMalformedLock, why)
}

// decoder reads the fields of a record; after the first short read every
// read returns zero and err is set.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err, d.b = errMalformedLock, nil }

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return x
}

// bytes returns a copy of the next length-prefixed field.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	out := slices.Clone(d.b[:n])
	d.b = d.b[n:]
	return out
}

// expiry is now + timeout in Unix nanoseconds, saturating instead of
// overflowing for a huge timeout.
func expiry(now int64, timeout time.Duration) int64 {
	if int64(timeout) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(timeout)
}

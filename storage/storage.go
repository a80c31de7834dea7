package storage

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// ErrInvalidPath is returned for a resource path that is not clean, not
// absolute, or holds a control character (bytes below 0x20 separate the
// parts of a store key).
var ErrInvalidPath = errors.New("storage: invalid resource path")

// ErrInvalidName is wrapped by a store's errors for a property name it
// cannot store (empty, or too long for its keys with the resource path):
// the client's doing, which servers answer with a 4xx or 507, not as a
// failure of the store. Nothing was changed.
var ErrInvalidName = errors.New("storage: property name cannot be stored")

// ErrUnavailable is wrapped by a store's errors when its backing service
// (a shared database) cannot be reached; servers answer 503 and retry
// later. Nothing was changed.
var ErrUnavailable = errors.New("storage: store unavailable")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("storage: store closed")

// Exclusive is implemented by a store that one process owns alone while it
// is open (storage/bolt holds a file lock on its file). That process's
// path locks then order every change to a resource and its properties, so
// a read of the store before a change of the tree stays true until the
// change is done. A store several instances share does not implement it.
type Exclusive interface {
	// Exclusive reports whether this process is the store's only user.
	Exclusive() bool
}

// Store keeps the dead properties of resources.
//
// A resource path is absolute, slash-separated and clean ("/", "/a",
// "/a/b"; see CleanPath). A property's value is the property element
// itself as standalone XML (it declares every namespace it uses), stored and
// returned byte for byte.
//
// A Store is safe for concurrent use. Every mutating method is atomic and
// durable when it returns nil: after a crash either all of its change is
// visible or none of it.
type Store interface {
	// Props returns the dead properties of one resource; an empty map when
	// it has none.
	Props(ctx context.Context, path string) (map[xml.Name][]byte, error)

	// FolderProps returns, in one read, the properties of dir itself and of
	// its direct children, keyed by resource path. Resources without
	// properties are absent from the map.
	FolderProps(ctx context.Context, dir string) (map[string]map[xml.Name][]byte, error)

	// PatchProps sets and then removes properties of one resource in one
	// durable transaction. A name both in set and in remove ends removed;
	// removing an absent property is not an error.
	PatchProps(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name) error

	// DeleteTree removes the properties of path and all its descendants in
	// one transaction.
	DeleteTree(ctx context.Context, path string) error

	// Close waits for pending commits and releases the store.
	Close() error

	IntentLog
	LiveLog
	Walker
	LockTable
}

// CleanPath returns the canonical store path of a slash-separated resource
// path: absolute, no trailing slash (except the root "/"), no dot segments.
// It fails with ErrInvalidPath on control characters.
func CleanPath(p string) (string, error) {
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 {
			return "", ErrInvalidPath
		}
	}
	return path.Clean("/" + p), nil
}

// ValidPath reports whether p is already a canonical store path.
func ValidPath(p string) bool {
	c, err := CleanPath(p)
	return err == nil && c == p && strings.HasPrefix(p, "/")
}

// Op names the tree change an Intent records.
type Op string

// The tree changes that keep properties in step through an intent.
const (
	OpMove   Op = "move"   // Src renamed to Dst
	OpCopy   Op = "copy"   // Src copied to Dst
	OpDelete Op = "delete" // Src removed
)

// Intent is a tree change under way, recorded durably before the tree is
// touched so that a crash part-way can be completed or undone at start-up
// (DESIGN §6). For OpCopy, Depth0 says only the collection itself (and its
// own properties) is copied.
type Intent struct {
	ID     uint64
	Op     Op
	Src    string
	Dst    string // empty for OpDelete
	Depth0 bool
}

// IntentLog is the part of a store that records tree changes under way.
// Every method is atomic and durable when it returns nil.
type IntentLog interface {
	// BeginIntent records in and returns it with its ID set. IDs increase
	// and are never reused.
	BeginIntent(ctx context.Context, in Intent) (Intent, error)

	// CompleteIntent applies the property change the intent stands for
	// and forgets the intent, in one transaction. OpCopy replaces the
	// properties of Dst and all its descendants with a copy of those of
	// Src and its descendants (with Depth0, of Src's own properties
	// alone); OpMove is that copy followed by removing Src's subtree;
	// OpDelete removes Src's subtree. Src is read before Dst is cleared,
	// so a copy or move onto itself changes nothing. Completing an
	// unknown ID is an error wrapping ErrNoIntent. These tree changes are
	// reached only through intents: the store makes them when the tree
	// has been changed, never on their own.
	CompleteIntent(ctx context.Context, id uint64) error

	// AbortIntent forgets the intent without touching any property.
	AbortIntent(ctx context.Context, id uint64) error

	// Intents lists the unfinished intents, oldest first.
	Intents(ctx context.Context) ([]Intent, error)
}

// ErrNoIntent is returned for an intent ID the log does not hold.
var ErrNoIntent = errors.New("storage: no such intent")

// Walker lists every resource that has properties, for consistency checks.
type Walker interface {
	// WalkResources calls fn with the path of every resource holding at
	// least one property, in key order, from one consistent snapshot. fn
	// may call the store (a repair deletes what it finds).
	// An error from fn stops the walk and is returned.
	WalkResources(ctx context.Context, fn func(path string) error) error
}

// ErrLocked is returned by CreateLock when a live lock conflicts.
var ErrLocked = errors.New("storage: conflicting lock")

// ErrNoLock is returned for a lock token the table does not hold (or whose
// lock has expired).
var ErrNoLock = errors.New("storage: no such lock")

// Lock is a WebDAV write lock (RFC 4918 §6, §7).
type Lock struct {
	Token  string // a URI, "urn:uuid:…"
	Root   string // the locked resource's path
	Depth0 bool   // Depth: 0; otherwise the lock covers every member (infinity)
	Shared bool   // a shared lock; otherwise exclusive
	// Owner is the inner XML of the LOCK request's DAV:owner, kept as
	// sent; OwnerNS holds the namespace declarations in scope there
	// (prefix → URI, "" for the default namespace) so it stays resolvable.
	Owner   []byte
	OwnerNS map[string]string
	Timeout time.Duration // as granted; the store computes Expires from it
	Expires time.Time     // set by the store, on the store's clock
	// Principal is who took the lock: a user name, "" for anonymous (and
	// for locks stored before principals were kept). A lock token is
	// usable only by the principal that created it (RFC 4918 §6.4); the
	// store keeps it, servers enforce it.
	Principal string
}

// LockLimits bound the locks CreateLock grants, so that no client can make
// a resource's lockdiscovery (and every PROPFIND of its folder) grow
// without end. The store counts the live locks in the transaction that
// inserts, so the limits hold under concurrency and across the instances
// sharing a store. A zero field is no limit.
type LockLimits struct {
	PerResource  int // live locks rooted at one resource
	PerPrincipal int // live locks of one principal, anywhere
}

// ErrTooManyLocks is returned by CreateLock when the new lock would exceed
// one of its LockLimits. Nothing was changed.
var ErrTooManyLocks = errors.New("storage: too many locks")

// Exceeded returns an error wrapping ErrTooManyLocks if a new lock of
// principal would go over lim, given how many live locks are rooted at its
// resource already and how many its principal holds; nil otherwise.
func (lim LockLimits) Exceeded(onResource, ofPrincipal int) error {
	switch {
	case lim.PerResource > 0 && onResource >= lim.PerResource:
		return fmt.Errorf("%w: %d on this resource (at most %d)", ErrTooManyLocks, onResource, lim.PerResource)
	case lim.PerPrincipal > 0 && ofPrincipal >= lim.PerPrincipal:
		return fmt.Errorf("%w: %d held by this principal (at most %d)", ErrTooManyLocks, ofPrincipal, lim.PerPrincipal)
	}
	return nil
}

// Covers reports whether the lock applies to the resource at p: its root,
// or a member of its root when the lock is depth infinity.
func (l Lock) Covers(p string) bool {
	return l.Root == p || (!l.Depth0 && IsBelow(p, l.Root))
}

// Conflicts reports whether l and o cannot both be held (RFC 4918 §6.1):
// one covers the other's root (or lies under a depth-infinity one), and
// at least one of them is exclusive.
func (l Lock) Conflicts(o Lock) bool {
	if l.Shared && o.Shared {
		return false
	}
	return l.Covers(o.Root) || o.Covers(l.Root)
}

// IsBelow reports whether the store path p lies strictly inside dir.
func IsBelow(p, dir string) bool {
	if dir == "/" {
		return p != "/"
	}
	// Not HasPrefix(p, dir+"/"), which allocates: the lock checks of
	// every request call this once per lock.
	return len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir)
}

// LockTable keeps the WebDAV locks durably, so they survive a restart
// until they expire. Expiry is judged on the store's own clock (for a
// shared database, the database's). Every mutating method is atomic and
// durable when it returns nil; expired locks are never returned and are
// swept by the writes.
type LockTable interface {
	// CreateLock stores l with Expires = now + l.Timeout unless a live
	// lock conflicts with it (ErrLocked) or it would exceed lim
	// (ErrTooManyLocks), checked in the same transaction. The token must
	// be new and Timeout positive (callers turn Infinite into their
	// maximum).
	CreateLock(ctx context.Context, l Lock, lim LockLimits) (Lock, error)

	// RefreshLock restarts a live lock's timeout (RFC 4918 §9.10.2); the
	// lock's Timeout becomes the one granted now.
	RefreshLock(ctx context.Context, token string, timeout time.Duration) (Lock, error)

	// DeleteLock removes a lock (UNLOCK); ErrNoLock when it is not held.
	DeleteLock(ctx context.Context, token string) error

	// Locks returns the live locks related to p, first created first: those
	// rooted at p, at an ancestor of p, or at a descendant of p. Callers
	// pick with Covers (locks that apply to p) or by Root (locks under p).
	Locks(ctx context.Context, p string) ([]Lock, error)

	// DeleteLocksUnder removes every lock rooted at p or below it (the
	// resources are gone: DELETE, or the source of a MOVE).
	DeleteLocksUnder(ctx context.Context, p string) error
}

// Package storage defines the Store that holds all of a WebDAV server's
// durable state besides the files themselves:
//
//   - the dead properties: one durable, transactional map per resource,
//     keyed by the resource's cleaned path, so that a subtree is a key
//     range and COPY, MOVE and DELETE of a collection are each one
//     transaction;
//   - the intent log (IntentLog): each tree change under way, recorded
//     before the tree is touched, so that a crash part-way is completed or
//     undone at start-up and the properties follow the tree (DESIGN §6);
//     the properties of a subtree are copied or moved only by completing
//     an intent;
//   - the lock table (LockTable): the WebDAV locks with their owners,
//     principals and expiry, enforcing conflicts and LockLimits;
//   - the records of settable live property changes committed with the
//     dead properties of their PROPPATCH (LiveLog), which recovery
//     re-applies after a crash;
//   - a walk of every resource with properties (Walker), for consistency
//     checks;
//   - in the stores that keep one, a change journal (Journal): every change
//     numbered in commit order, recorded in the transaction of the store
//     change it goes with (WithChanges, CompleteIntent), an index of each
//     path's last known state and a tag per folder that moves with anything
//     below it, for RFC 6578 sync-collection and folder ETags.
//
// It also holds the checks every store makes of its arguments (CheckPaths,
// CheckIntent, CheckLock), written once so that the stores refuse the same
// things with the same errors.
//
// Implementations live in the sub-packages (storage/bolt for the embedded
// default, storage/postgres for a database several instances share);
// storage/storagetest is the conformance suite every one passes, and a
// `var _ storage.Store = (*Store)(nil)` in each asserts the interface at
// compile time.
//
// # Concurrency
//
// A Store is safe for concurrent use. Every mutating method is atomic (all
// or nothing) and durable when it returns nil.
//
// # Security
//
// Each lock keeps the principal that took it (Lock.Principal: a user name,
// "" for anonymous). The store only keeps it; the server refuses the token
// to everyone else (RFC 4918 §6.4). Locks stored before principals were
// kept come back as anonymous's: on a server without anonymous access
// nobody can use their tokens, and they stay in force until they expire.
// CreateLock enforces LockLimits in its own transaction, so no number of
// concurrent requests or instances can hold more locks than they allow.
// A property name a store cannot key is refused with an error wrapping
// ErrInvalidName, which servers answer as the client's doing (507), not
// as a failure of the store.
package storage

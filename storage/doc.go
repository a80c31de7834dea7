// Package storage defines the Store that keeps a WebDAV server's dead
// properties: one durable, transactional map per resource, keyed by the
// resource's cleaned path, so that a subtree is a key range and COPY, MOVE
// and DELETE of a collection are each one transaction. It also keeps the
// lock table, the intent log of tree changes under way (IntentLog), and the
// records of settable live property changes committed with the dead
// properties of their PROPPATCH (LiveLog), which recovery re-applies after a
// crash.
//
// Implementations live in the sub-packages (storage/bolt for the embedded
// default); storage/storagetest is the conformance suite every one passes.
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

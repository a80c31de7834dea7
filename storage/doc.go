// Package storage defines the Store that keeps a WebDAV server's dead
// properties: one durable, transactional map per resource, keyed by the
// resource's cleaned path, so that a subtree is a key range and COPY, MOVE
// and DELETE of a collection are each one transaction.
//
// Implementations live in the sub-packages (storage/bolt for the embedded
// default); storage/storagetest is the conformance suite every one passes.
//
// # Concurrency
//
// A Store is safe for concurrent use. Every mutating method is atomic (all
// or nothing) and durable when it returns nil.
package storage

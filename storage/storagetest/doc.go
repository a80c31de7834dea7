// Package storagetest is the conformance suite every storage.Store must
// pass: a backend's tests call Run with a function that opens the store in a
// given folder.
//
// The suite checks values byte for byte, PROPPATCH semantics, folder reads,
// subtree copy, move and delete (with the prefix trap: "/a" never touches
// "/ab" or "/a b"), path validation, behaviour after Close, persistence
// across a reopen and consistency under concurrent writers; then the intent
// log (IDs, order, persistence, the property change each kind of intent
// applies on completion and none on abort, storage.ErrNoIntent),
// WalkResources, and the lock table: the store must also be a
// storage.LockTable (conflicts, expiry, refresh, removal, persistence, and
// racing CreateLock calls of which exactly one exclusive lock wins).
package storagetest

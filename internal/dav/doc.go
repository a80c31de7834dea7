// Package dav is atomdav's WebDAV method router (RFC 4918). It serves
// PROPPATCH through the atomic proppatch engine and every other method
// with its own handler, each taken over from golang.org/x/net/webdav for a
// reason named at the handler (the last, GET, because x/net/webdav cannot
// serve a per-user view). What stays from x/net/webdav is its FileSystem
// abstraction, which storage/localfs implements.
//
// Every handler returns (status int, err error); ServeHTTP alone writes
// error responses, and reports errors through Config.OnError (libraries do
// not log).
//
// Locks live in the store's lock table (storage.LockTable) and every write
// goes through checkWrite: the If header (RFC 4918 §10.4) first, then the
// locks protecting what the write touches.
//
// # Concurrency
//
// Writes take per-path locks (internal/pathlock): a write to a path waits
// for writes to the same path and for COPY/MOVE/DELETE of its ancestors;
// unrelated paths never wait. A write checks WebDAV locks while holding its
// path locks, so the answer holds until it is done, and a write without an
// If header only gets 423 Locked when a client really holds a lock.
// No path lock is held while a client sends a body: XML bodies are read
// before locking, and a PUT streams its body into a temp file first and
// takes its path lock only to commit (409 when the folder went meanwhile),
// so a slow client holds up nobody. Every wait for a path lock ends with
// the request's context.
//
// # Security
//
// XML bodies are bounded (Config.MaxXMLBytes → 413), a PUT body that sends
// nothing for Config.UploadIdleTimeout ends with 408, PROPFIND Depth:
// infinity is refused unless enabled, and the state folder is unreachable.
// COPY and MOVE compare source and destination after resolving symlinks
// (403 when one lies inside the other), and a tree copy does not follow a
// symlink back into a folder it is copying (508 for that member).
package dav

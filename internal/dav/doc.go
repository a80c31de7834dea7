// Package dav is atomdav's WebDAV method router (RFC 4918). It serves
// PROPPATCH through the atomic proppatch engine, and PROPFIND, PUT, COPY,
// MOVE, DELETE and OPTIONS with its own handlers, each taken over from
// golang.org/x/net/webdav for a reason named at the handler; GET and HEAD of
// files, MKCOL, LOCK and UNLOCK still go through x/net/webdav.
//
// Every handler returns (status int, err error); ServeHTTP alone writes
// error responses, and reports errors through Config.OnError (libraries do
// not log).
//
// # Concurrency
//
// Writes take per-path locks (internal/pathlock): a write to a path waits
// for writes to the same path and for COPY/MOVE/DELETE of its ancestors;
// unrelated paths never wait. Because writers to one path are serialised
// before they meet the WebDAV lock system, a write without an If header
// only gets 423 Locked when a client really holds a lock.
//
// # Security
//
// XML bodies are bounded (Config.MaxXMLBytes → 413), PROPFIND Depth:
// infinity is refused unless enabled, and the state folder is unreachable.
package dav

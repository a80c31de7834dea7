// Package access decides what a principal may do with a path of the share
// by rules on path prefixes: nothing (None), read (Read) or read and write
// (Write), like hacdias/webdav's rules and dufs's per-path access.
//
// A Table holds one view's rules, compiled once (Compile): the share-wide
// rules and the user's own, placed under the user's root. The rule whose
// path is the longest prefix of a path decides, prefixes counted by whole
// segments (/priv is no prefix of /private); at the same path a user's own
// rule beats a share-wide one; where no rule matches, the view's default
// (the user's read-only or read-write) applies.
//
// # Security
//
// Paths are compared segment by segment, without regard to case and
// after Unicode NFC normalisation, so that neither a case-insensitive file
// system (macOS, Windows, casefold folders) nor a name sent in NFD (which
// storage/localfs finds stored in NFC) reaches a path a rule restricts by
// another spelling. The price is that a rule on /Private also covers a
// different folder /private on a case-sensitive file system. Callers pass
// cleaned paths (no "." or ".." segments, no doubled slashes):
// internal/dav matches the names it resolved, never raw URLs.
//
// # Concurrency
//
// A Table is immutable once compiled and safe for concurrent use. Level
// and Restricted allocate nothing for a path that is ASCII or already in
// NFC.
package access

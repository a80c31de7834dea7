// Package ifheader parses the WebDAV If request header (RFC 4918 §10.4):
// tagged and untagged lists of lock tokens and entity tags, each possibly
// negated with Not. Lists are alternatives (OR); the conditions of one list
// must all hold (AND).
//
// It is public so that servers built on other WebDAV code can check locks
// the same way: proppatch/xnetdav uses it to confirm a PROPPATCH against a
// golang.org/x/net/webdav LockSystem, whose own parser is unexported.
//
// # Security
//
// Parsing costs time linear in the header. ParseLimit bounds the number of
// conditions (and so of lists and tagged resources) a server is asked to
// evaluate, stopping at the first one over the limit (ErrTooMany).
package ifheader

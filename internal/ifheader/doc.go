// Package ifheader parses the WebDAV If request header (RFC 4918 §10.4):
// tagged and untagged lists of lock tokens and entity tags, each possibly
// negated with Not. Lists are alternatives (OR); the conditions of one list
// must all hold (AND).
package ifheader

// Package htpasswd reads and edits users files in the format of Apache's
// htpasswd (and nginx's auth_basic_user_file): one "name:hash" a line,
// '#' comments and blank lines ignored. It checks the hashes such files
// hold (bcrypt, apr1 MD5, {SHA}, SHA-256/512 crypt, MD5 crypt), compares
// passwords with them, and rewrites a file atomically, under a lock,
// keeping every line it does not change.
//
// atomdav's extension: an optional third field of options,
// "name:hash:root=/folder,read-only". Apache's mod_authn_file reads the
// hash up to the next ':' (ap_getword) and nginx ends it there too, so a
// file with options still works with them, unchanged.
//
// # Security
//
//   - Lines in plain text or DES crypt (8 characters of the password at
//     most) are refused, naming the line; they are never served.
//   - {SHA} (one unsalted SHA-1), apr1 and MD5 crypt are accepted, so that
//     existing files work, but reported as weak (Weak): a stolen file
//     gives their passwords away fast.
//   - SHA-crypt hashes with more than MaxRounds rounds are refused: a
//     single login would cost seconds of CPU.
//   - Compare compares in constant time (bcrypt's own, or
//     crypto/subtle), whatever the scheme.
//   - Parse costs linear time in its input and never compares a password.
//   - Edit replaces the file by a temp file in its folder (fsync, rename,
//     fsync of the folder), keeps its mode and (where it may) its owner,
//     and holds an exclusive lock on a sibling NAME.lock meanwhile, so two
//     edits at once never lose one another.
package htpasswd

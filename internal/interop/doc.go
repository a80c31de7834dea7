// Package interop proves that atomdav works with the WebDAV clients people
// actually use. It holds no code outside its tests.
//
// TestMain builds the real binary once (internal/testbin); each test starts
// it with --anonymous on a fresh folder and a free 127.0.0.1 port, waits for
// OPTIONS / to answer and stops it with SIGTERM, checking that it exits 0.
//
// Two kinds of proof:
//
//   - Real clients, driven as a user would: rclone (sync of a 1,000-file
//     tree, mtimes, SHA-1 checksums, bisync), cadaver (a scripted session),
//     curl (Finder-style chunked uploads, bare Lock-Token, body-less PUT)
//     and davfs2 (a FUSE mount) where this machine has them.
//   - Recorded request sequences in testdata/clients/*.txt for clients that
//     do not run here (Windows Mini-Redirector, macOS Finder, GVFS, KIO,
//     WinSCP, Cyberduck, KeePass, Zotero, Office, and davfs2 again),
//     written from each client's documented behaviour. TestRecordedClients
//     replays every file over raw TCP against a fresh server and checks
//     statuses, key headers and properties, matching XML by namespace URI.
//     testdata/clients/README.md describes the file format.
//
// # Missing clients
//
// A test whose client is not installed skips with a message naming the
// Debian package, except with CI=true in the environment, where it fails.
// davfs2 also needs a usable /dev/fuse and the right to mount; without
// them its test skips even in CI, since FUSE is a property of the machine,
// not of the package list.
//
// # Concurrency
//
// Tests run in parallel, each against its own server process; nothing in
// the package is shared between tests but the built binary. When run with
// -race the server is built with the race detector too.
package interop

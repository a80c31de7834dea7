// Package crashtest is atomdav's crash harness (DESIGN §8): it holds no
// code outside its test. TestMain builds ./cmd/atomdav once; TestCrash
// serves a fresh directory with the real binary on a loopback port, drives
// concurrent PROPPATCH, PUT, MOVE, MKCOL and DELETE streams at it, kills it
// with SIGKILL 5–150 ms into the load (which starts as soon as a restarted
// server has answered its first OPTIONS and passed the checks), restarts
// it on the same directory with a fresh port and client, and checks after
// every restart that
//
//   - every PROPPATCH was all or none: the five properties urn:crash P1..P5
//     that each request sets to one fresh value agree on every resource;
//   - every acknowledged write is durable: a PROPPATCH or PUT of a stable
//     file whose whole success answer arrived is visible unless a write
//     sent after that answer replaced it, and a write refused or never
//     sent is not (one in flight at the kill may or may not be);
//   - every file holds one complete version (its first line is the sha256
//     of the rest) and no temp file of an atomic write is ever listed;
//   - the checksums a file reports in oc:checksums, if any (a crash may
//     leave none), are those of the bytes GET serves, never an older
//     content's: the content record is committed before the rename and
//     holds only while the file's inode, size and mtime are recorded;
//   - properties stay on their resource through MOVE, DELETE and the MOVE
//     of a collection: the dead property urn:crash:id of every file names
//     the identity written in its content, and a file whose PUT and id
//     PROPPATCH were both acknowledged never loses it;
//   - a PROPPATCH that sets live properties with dead ones is all or none
//     across the kill too (-live, on by default): on /l/lNN the dead
//     urn:crash:mt and urn:crash:x always equal the file's mtime (set
//     through Win32LastModifiedTime) and execute bit (Apache's
//     executable), as stat sees them in the served folder, and an
//     acknowledged one is never lost;
//   - a chunked upload's assembly is all or none too (-chunked, on by
//     default): each /c/cNN, replaced by Nextcloud chunked uploads (MKCOL
//     of an upload folder, chunks PUT in a random order, some retried,
//     MOVE of .file; the Nextcloud layout's URLs must be served), holds
//     one whole version, the old one or the new, never chunks of two, and
//     an acknowledged MOVE is never lost;
//   - files go only where the MOVEs sent could take them, and vanish only
//     if a DELETE or MOVE that was not refused could reach them: a refusal
//     (4xx) must have changed nothing, and start-up recovery must remove
//     nothing else either;
//   - a client that knows the tree only through sync-collection REPORTs
//     (RFC 6578), each from the last token, holds what a full walk sees:
//     the same paths, ETags (a folder's moves with its members) and
//     properties (-sync, on by default; sync_test.go), with nothing
//     forgiven: a new file whose PUT the kill cut after its rename, before
//     its journal entry, is journaled by the scan at start-up.
//
// After the last kill it restarts once more, checks, stops the server with
// SIGTERM (exit status 0 expected) and runs `atomdav check DIR` when the
// binary has that command.
//
// # Knobs
//
//	go test ./internal/crashtest                          # short: 50 kills
//	go test -run TestCrash -count=1 -timeout 60m ./internal/crashtest -kills 1000
//
// -workers sets the number of request streams (default 8) and -seed the
// workload's randomness (the schedule still depends on timing). With -race
// the server is built with the race detector too and a race it reports is a
// violation.
//
// # Evidence
//
// On failure the working directory (served tree, one server log per life,
// ops.log with every request, violations.log with the requests that touch
// each violation) is kept and its path logged.
package crashtest

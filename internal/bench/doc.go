// Package bench is davbench's engine: a WebDAV load generator that creates
// its fixtures through the server under test (MKCOL, PUT, PROPPATCH) in a
// fresh folder, runs one named scenario with N clients for a bounded time
// and number of operations, and reports throughput and latency; and the
// side-by-side comparison that `make bench-compare` runs of atomdav,
// Apache httpd's mod_dav and an in-memory net/http stub (NewStub, the Go
// floor), whose primary figure is each server process's CPU time per
// operation; and AB (`davbench ab`), the same alternation of two atomdav
// binaries, before and after a change, by that figure.
//
// The scenarios are those of issue 7: get-large, put-large, get-small,
// put-small, propfind-d1, proppatch, propfind-dead, lock-unlock and mixed;
// put-chunked (issue 14, run only when named: Apache has no counterpart)
// sends put-large's upload as a Nextcloud chunked upload. An operation is
// one request, except in lock-unlock where it is a LOCK followed by the
// UNLOCK of the token it returned, and in put-chunked where it is the
// whole upload (MKCOL, the chunk PUTs, MOVE of .file). Only successful
// operations count towards ops/s, MB/s and the latency percentiles;
// everything else (a transport error, an unexpected status, a short body, a
// propstat that is not 200 OK) is counted as an error.
//
// # Concurrency
//
// A Bench is used by one goroutine at a time; the clients of a run are
// goroutines of its own, each with its own state and random source.
//
// # Security
//
// It talks only to the URL it is given, and Compare and AB start their servers on
// loopback addresses in a temporary folder it removes afterwards. The stub
// has no authentication and keeps every upload in memory: it is for
// loopback benchmarks, never a share.
package bench

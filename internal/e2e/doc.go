// Package e2e tests the real atomdav binary over loopback HTTP: TestMain
// builds ./cmd/atomdav once, each test starts it on a fresh directory and a
// free 127.0.0.1 port, talks to it as WebDAV clients do (raw net/http, raw
// TCP where net/http would clean the path, and litmus, cadaver and rclone
// when installed), and stops it with SIGTERM, checking that it exits 0.
//
// The package holds no code outside its tests. Tests name the RFC 4918
// section they check. When run with -race the binary is built with the
// race detector too, so a data race in the server fails the test that
// stops it.
//
// # Clients
//
// TestLitmus, TestCadaver and TestRclone skip, naming the Debian package,
// when their client is not on PATH, except with CI=true in the
// environment, where a missing client fails the test.
package e2e

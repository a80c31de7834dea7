// Command davbench is a WebDAV load generator: it creates its fixtures
// through the server in a fresh folder under -url, runs the named
// scenarios and prints one line of throughput and latency each.
// `davbench compare` measures atomdav against Apache httpd's mod_dav and
// the in-memory stub side by side; `davbench ab` measures two atomdav
// binaries (before and after a change) by server CPU per operation, side
// by side; `davbench stub` serves that stub. See
// internal/bench and `davbench -h`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/atomdav/atomdav/internal/bench"
)

// runStub is `davbench stub`: the in-memory WebDAV server davbench compare
// measures as the Go floor, in a process of its own so its CPU time is
// its own.
func runStub(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("davbench stub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "loopback `address` to listen on")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: davbench stub [-addr host:port]

Serves an in-memory WebDAV share (a minimal handler: no disk, no
durability, no authentication, no If header) until interrupted: the
net/http floor davbench compare measures beside atomdav and Apache.
Everything uploaded stays in memory; listen on loopback only.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "davbench stub: takes no arguments")
		return exitUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "davbench stub:", err)
		return exitFailed
	}
	if err := bench.ServeStub(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "davbench stub:", err)
		return exitFailed
	}
	return 0
}

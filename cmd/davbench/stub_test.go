package main

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"
)

// TestStubSubcommand serves `davbench stub` on a loopback port, runs the
// scenarios that touch every method it must answer (GET, PUT, PROPFIND,
// PROPPATCH, LOCK/UNLOCK, MKCOL, MOVE, DELETE) through davbench's own
// command line, and wants no errors and a clean exit when interrupted.
func TestStubSubcommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stubErr bytes.Buffer
	done := make(chan error, 1)
	code := make(chan int, 1)
	go func() { code <- runStub(ctx, []string{"-addr", addr}, &stubErr); close(done) }()
	url := "http://" + addr + "/"
	if err := waitReady(url, done, 10*time.Second); err != nil {
		t.Fatalf("stub: %v\n%s", err, &stubErr)
	}
	var stdout, stderr bytes.Buffer
	if c := run(ctx, []string{"-url", url, "-scenario", "get-large,proppatch,propfind-dead,lock-unlock,mixed", "-d", "200ms",
		"-large-size", "1MiB", "-timeout", "30s"}, &stdout, &stderr); c != 0 {
		t.Errorf("davbench against the stub exited %d\nstdout:\n%s\nstderr:\n%s", c, &stdout, &stderr)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("davbench stub exited %d: %s", c, &stubErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("davbench stub did not stop when interrupted")
	}
}

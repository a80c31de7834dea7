package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/webdav"
)

// NewStub returns the in-memory WebDAV server that Compare measures as
// the Go floor: golang.org/x/net/webdav's Handler over its memory file
// system (content and dead properties in maps) and memory lock system. It
// answers every scenario davbench runs with the statuses davbench checks,
// with no disk, no durability, no authentication and no logging, so its
// CPU per operation is what net/http and a minimal WebDAV handler cost.
// It holds every upload in memory: it is for loopback benchmarks only.
func NewStub() http.Handler {
	return &webdav.Handler{FileSystem: webdav.NewMemFS(), LockSystem: webdav.NewMemLS()}
}

// ServeStub serves NewStub on ln until ctx ends, then shuts down.
func ServeStub(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: NewStub(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

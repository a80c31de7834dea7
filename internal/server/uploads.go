package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/storage/uploads"
)

// openUploads opens the folders of the chunked uploads and sweeps those
// left untouched for longer than the expiry (a server stopped for a while
// comes back without them).
func openUploads(cfg config.Config, log *slog.Logger) (*uploads.Store, error) {
	ups, err := uploads.Open(uploadsDir(cfg), uploads.Options{
		Relaxed:              cfg.Durability == "relaxed",
		MaxPerPrincipal:      cfg.MaxChunkedUploadsPerUser,
		MaxBytesPerPrincipal: cfg.MaxChunkedUploadBytesPerUser,
	})
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	sweepUploadsOnce(ups, cfg.ChunkedUploadExpiry, log)
	return ups, nil
}

// uploadsDir is where the chunked uploads live: STATE/uploads, or with a
// shared store ROOT/.atomdav/uploads in the shared content folder (never
// served, whatever the state folder), so that the chunks of one upload may
// reach any instance behind a load balancer.
func uploadsDir(cfg config.Config) string {
	if cfg.Store != "" {
		return filepath.Join(cfg.Root, cfg.HiddenName(), "uploads")
	}
	return filepath.Join(cfg.State, "uploads")
}

// sweepUploads sweeps the expired chunked uploads every sweepEvery of
// the expiry (and what crashes left, also without an expiry) until ctx
// ends.
func (s *Server) sweepUploads(ctx context.Context) {
	expiry := s.cfg.ChunkedUploadExpiry
	every := 15 * time.Minute
	if expiry > 0 {
		every = min(max(expiry/sweepEvery, time.Second), every)
	}
	everyUntil(ctx, every, func() { sweepUploadsOnce(s.uploads, expiry, s.log) })
}

// everyUntil calls fn every d until ctx ends (the first call after d).
func everyUntil(ctx context.Context, d time.Duration, fn func()) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fn()
	}
}

// sweepEvery is how many sweeps an expiry spans, so an upload outlives
// its expiry by a quarter at most (15 minutes at most).
const sweepEvery = 4

// sweepUploadsOnce removes the uploads untouched for expiry (none when it
// is 0), and what crashes left, and says so.
func sweepUploadsOnce(ups *uploads.Store, expiry time.Duration, log *slog.Logger) {
	var cutoff time.Time
	if expiry > 0 {
		cutoff = time.Now().Add(-expiry)
	}
	n, err := ups.Sweep(cutoff)
	if err != nil {
		log.Warn("sweep of expired chunked uploads", "err", err)
	}
	if n > 0 {
		log.Info("removed expired chunked uploads", "count", n)
	}
}

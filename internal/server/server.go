package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/internal/dav"
	"github.com/atomdav/atomdav/proppatch"
	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/localfs"
	"github.com/atomdav/atomdav/storage/postgres"
	"github.com/atomdav/atomdav/storage/uploads"
)

// Server is a running atomdav: a store, a handler and a listener.
type Server struct {
	cfg   config.Config
	log   *slog.Logger
	store serverStore
	fsys  *localfs.FS
	http  *http.Server
	ln    net.Listener
	dav   *dav.Handler
	// uploads keeps the chunked uploads' folders (uploads.go).
	uploads *uploads.Store
	// ops holds what the operations listener needs (metrics.go).
	ops opsState
	// tls holds the reloadable certificate (tls.go).
	tls tlsState
	// auth holds the gate that a reload replaces (reload.go).
	auth authState
	// access is the access log; nil when off (accesslog.go).
	access *AccessLog
}

// New opens the store and binds the listen address; it does not serve yet.
// cfg must have passed Validate.
func New(cfg config.Config, log *slog.Logger) (*Server, error) {
	if err := checkWritable(cfg.Root); err != nil {
		return nil, err
	}
	ops := newOpsState(cfg)
	store, err := openStore(cfg, bolt.Options{OnCommit: ops.onCommit()})
	if err != nil {
		return nil, err
	}
	fsys, err := localfs.New(cfg.Root, store, localfs.Options{Hidden: cfg.HiddenName(), Relaxed: cfg.Durability == "relaxed"})
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := recoverTree(fsys, store, log); err != nil {
		store.Close()
		return nil, err
	}
	ups, err := openUploads(cfg, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: store, fsys: fsys, ops: ops, uploads: ups}
	h, err := dav.New(dav.Config{
		FS:                 fsys,
		Store:              store,
		Locks:              store,
		Prefix:             cfg.Prefix,
		MaxXMLBytes:        cfg.MaxXMLBytes,
		MaxUploadBytes:     cfg.MaxUploadBytes,
		UploadIdleTimeout:  cfg.UploadIdleTimeout,
		UploadMinRate:      cfg.UploadMinRate,
		MaxUploads:         cfg.MaxUploads,
		MaxUploadsPerUser:  cfg.MaxUploadsPerUser,
		MaxZipBytes:        cfg.MaxZipBytes,
		MaxZips:            cfg.MaxZips,
		AllowInfiniteDepth: cfg.AllowInfiniteDepth,
		HideOSJunk:         cfg.HideOSJunk,
		Hide:               cfg.Hide,
		Checksums:          append([]string{}, cfg.Checksums...), // never nil: empty is none
		MaxLockTimeout:     cfg.MaxLockTimeout,
		LockLimits:         storage.LockLimits{PerResource: cfg.MaxLocksPerResource, PerPrincipal: cfg.MaxLocksPerPrincipal},
		MaxLockOwnerBytes:  cfg.MaxLockOwnerBytes,
		MaxIfConditions:    cfg.MaxIfConditions,
		MaxPropfindProps:   cfg.MaxPropfindProps,
		MaxSyncResults:     cfg.MaxSyncResults,
		MaxRanges:          cfg.MaxRanges,
		Limits:             proppatch.Limits{MaxValueBytes: cfg.MaxPropValueBytes, MaxProps: cfg.MaxPropsPerResource},
		MaxXMLDepth:        cfg.MaxXMLDepth,
		OnProppatch:        ops.onProppatch(),
		Uploads:            ups,
		OnError: func(r *http.Request, err error) {
			log.Error("request failed", "id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		},
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	s.dav = h
	if cfg.AccessLog != "" {
		if s.access, err = OpenAccessLog(cfg.AccessLog, cfg.AccessLogFormat, os.Stderr); err != nil {
			store.Close()
			return nil, err
		}
	}
	if s.ln, err = s.listen(); err != nil {
		store.Close()
		s.closeAccessLog()
		return nil, err
	}
	s.http = &http.Server{
		Handler:           s.chain(h),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until ctx ends, then lets in-flight requests finish (up to
// ShutdownTimeout) and closes the store.
func (s *Server) Serve(ctx context.Context) error {
	defer s.closeAccessLog()
	defer s.watchReload(ctx)()
	stopWatch := s.startWatch(ctx) // the start-up scan, before serving
	compactLater := s.compactJournal(ctx)
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	stopOps, err := s.startOps(ctx)
	if err != nil {
		s.http.Close()
		stopWatch()
		return errors.Join(err, s.store.Close())
	}
	defer stopOps()
	go s.sweepUploads(ctx)
	go compactLater()
	if s.cfg.Store != "" {
		go s.recoverShared(ctx)
	}
	s.log.Info("serving", "root", s.cfg.Root, "addr", s.scheme()+"://"+s.ln.Addr().String()+s.cfg.Prefix+"/", "access", accessMode(s.cfg), "state", s.cfg.State)
	s.notify("READY=1")
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down")
		s.notify("STOPPING=1")
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		serveErr = s.http.Shutdown(sctx)
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	stopWatch()
	return errors.Join(serveErr, s.store.Close())
}

// chain wraps the WebDAV handler in the middleware, innermost first:
// authentication picks the user's view, CORS answers browsers, trusted
// proxy headers are applied, and the outer layer recovers panics, gives
// the request its id, counts it in the metrics and logs it.
func (s *Server) chain(h *dav.Handler) http.Handler {
	var next http.Handler = s.withAuth(h)
	next = s.withCORS(next)
	next = s.withHost(next)
	next = s.withProxy(next)
	return s.middleware(next)
}

// recoverShared periodically finishes the tree changes of instances that
// died while sharing this store, until ctx ends, under the path locks of
// the handler's requests (see localfs.FS.Recover).
func (s *Server) recoverShared(ctx context.Context) {
	everyUntil(ctx, sharedRecoveryEvery, func() {
		done, err := s.fsys.Recover(ctx, s.dav.LockPaths)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("recovery of other instances' intents", "err", err)
		}
		for _, r := range done {
			s.log.Warn("recovered a tree change of a dead instance", "op", r.Intent.Op, "src", r.Intent.Src, "dst", r.Intent.Dst, "completed", r.Completed)
		}
	})
}

// compactJournal drops the change journal's entries past its retention
// (sync-journal-retention, sync-journal-max-entries) once, before the
// server answers (so no token the retention ends is honoured at start),
// and returns what compacts it hourly until ctx ends.
func (s *Server) compactJournal(ctx context.Context) (periodic func()) {
	j, ok := s.store.(storage.Journal)
	if !ok || s.cfg.SyncJournalRetention == 0 && s.cfg.SyncJournalMaxEntries == 0 {
		return func() {}
	}
	compact := func() {
		var before time.Time
		if s.cfg.SyncJournalRetention > 0 {
			before = time.Now().Add(-s.cfg.SyncJournalRetention)
		}
		n, err := j.Compact(ctx, before, uint64(s.cfg.SyncJournalMaxEntries))
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("compaction of the change journal", "err", err)
		case n > 0:
			s.log.Info("compacted the change journal", "entries", n)
		}
	}
	compact()
	return func() { everyUntil(ctx, journalCompactEvery, compact) }
}

// journalCompactEvery is how often the change journal is compacted.
const journalCompactEvery = time.Hour

// sharedRecoveryEvery is how often a shared-store instance looks for a
// dead peer's unfinished tree changes (PostgreSQL leases are 30 s).
const sharedRecoveryEvery = 15 * time.Second

// recoverTree finishes the MOVE/COPY/DELETE a crash interrupted and
// re-applies the live property changes it cut off, before anything is
// served, then sweeps leftover temp files in the background
// (only those older than now, so uploads starting meanwhile are safe).
//
// Live records are re-applied only when no other instance serves from the
// store: records carry no owner and are cleared lazily, so while a peer is
// serving, one of its records may already be applied and overtaken by a
// later request, which re-applying would undo. They wait for a start with
// no peers, or for atomdav check --repair (which refuses while peers run).
func recoverTree(fsys *localfs.FS, store serverStore, log *slog.Logger) error {
	ctx := context.Background()
	done, err := fsys.Recover(ctx, nil)
	if err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	for _, r := range done {
		log.Warn("recovered an interrupted tree change", "op", r.Intent.Op, "src", r.Intent.Src, "dst", r.Intent.Dst, "completed", r.Completed)
	}
	peers, err := peersOf(ctx, store)
	if err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	var live []storage.LiveRecord
	if peers > 0 {
		log.Info("live property records left for a start with no other instance", "peers", peers)
	} else if live, err = fsys.RecoverLive(ctx); err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	for _, r := range live {
		log.Warn("re-applied an interrupted live property change", "path", r.Path, "property", r.Name.Local)
	}
	start := time.Now()
	go func() {
		removed, err := fsys.SweepTemp(ctx, start)
		if err != nil {
			log.Warn("temp sweep stopped", "err", err)
		}
		if len(removed) > 0 {
			log.Info("removed leftover temp files", "count", len(removed))
		}
	}()
	return nil
}

// serverStore is the store a server runs on: bolt's or PostgreSQL's.
type serverStore interface {
	storage.Store
	LockCount(ctx context.Context) (int, error)
}

// storeOpenTimeout bounds the wait for the database at start-up.
const storeOpenTimeout = 30 * time.Second

// openStore opens the store cfg names: the embedded bolt store in the state
// folder, or with cfg.Store the PostgreSQL one shared by several instances.
// An unreachable database fails here, with a message saying so.
func openStore(cfg config.Config, opts bolt.Options) (serverStore, error) {
	if cfg.Store == "" {
		s, err := bolt.Open(filepath.Join(cfg.State, "state.db"), opts)
		if err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		return s, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeOpenTimeout)
	defer cancel()
	s, err := postgres.Open(ctx, cfg.Store)
	if errors.Is(err, postgres.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("store: cannot reach the PostgreSQL database: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// checkWritable fails early, with a clear message, on a read-only root.
func checkWritable(root string) error {
	f, err := os.CreateTemp(root, localfs.TempPrefix+"probe-*")
	if err != nil {
		return fmt.Errorf("root: %s is not writable: %w", root, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// accessMode says in a few words who may use the server, for the line
// it logs on start: anonymous access (and whether it may write), the
// number of users and how they log in.
func accessMode(cfg config.Config) string {
	var parts []string
	if cfg.Anonymous {
		if cfg.AnonymousReadOnly {
			parts = append(parts, "anonymous read-only")
		} else {
			parts = append(parts, "anonymous read-write")
		}
	}
	users, _, err := cfg.AllUsers()
	if err != nil {
		users = cfg.Users
	}
	switch n := len(users); {
	case n == 1:
		parts = append(parts, "1 user")
	case n > 1:
		parts = append(parts, fmt.Sprintf("%d users", n))
	}
	mode := strings.Join(parts, " and ")
	switch {
	case len(users) == 0:
		return mode + ", no login"
	case cfg.AuthHeader != "":
		return mode + ", logging in with Basic or named by a trusted proxy's " + cfg.AuthHeader
	}
	return mode + ", logging in with Basic"
}

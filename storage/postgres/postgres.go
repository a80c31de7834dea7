package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/atomdav/atomdav/storage"
)

// ErrUnavailable is wrapped by the errors of every method when the database
// cannot be reached: the connection was refused or lost, or the server is
// shutting down or not accepting connections. A WebDAV server answers it with
// 503 Service Unavailable; the pool reconnects by itself when the database is
// back.
var ErrUnavailable = fmt.Errorf("postgres: database unavailable: %w", storage.ErrUnavailable)

// ErrInvalidName is returned for a property name that cannot be stored: an
// empty local name, or a path and name whose key exceeds MaxKeyBytes.
// It wraps storage.ErrInvalidName.
var ErrInvalidName = fmt.Errorf("postgres: invalid property name: %w", storage.ErrInvalidName)

// MaxKeyBytes bounds a property key (path + namespace + local name) and a
// lock root: a B-tree index entry must fit in a third of a page.
const MaxKeyBytes = 2000

// LeaseTTL is how long an instance's lease on its intents lasts without a
// renewal; a Store renews it every LeaseTTL/3. After a crash, another
// instance adopts the intents once the lease has run out.
const LeaseTTL = 30 * time.Second

// Store is the PostgreSQL storage.Store. Its methods are safe for concurrent
// use.
type Store struct {
	pool     *pgxpool.Pool
	connCfg  *pgx.ConnConfig // for the lease's own connection
	instance string          // this Store's lease id, a random UUID
	salt     string          // the schema's name, mixed into advisory lock keys

	// lease is the connection holding this instance's session advisory
	// lock; only start and renewLease use it, never at once.
	lease *pgx.Conn

	closed atomic.Bool
	stop   chan struct{}  // closed by Close to stop the lease renewal
	wg     sync.WaitGroup // the lease renewal goroutine
}

var (
	_ storage.Store     = (*Store)(nil)
	_ storage.IntentLog = (*Store)(nil)
	_ storage.LiveLog   = (*Store)(nil)
	_ storage.Walker    = (*Store)(nil)
	_ storage.LockTable = (*Store)(nil)
)

// ConnectTimeout bounds a new connection unless the URL sets
// connect_timeout, and SendTimeout how long data sent to the database may
// go unacknowledged (TCP_USER_TIMEOUT, on Linux) before the connection is
// given up: with both, an unreachable database fails requests with
// ErrUnavailable within seconds, even when it drops packets silently.
const (
	ConnectTimeout = 5 * time.Second
	SendTimeout    = 10 * time.Second
)

// Open connects to the database at url (postgres://user@host/db?…, any
// form pgx accepts: pool_max_conns and search_path among its parameters),
// creates or migrates the schema, and takes this instance's lease. Its
// sessions run with synchronous_commit = on unless url sets it. It fails
// with an error wrapping ErrUnavailable when the database cannot be reached.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.MaxConns < 16 && !hasParam(url, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	cfg.MaxConnIdleTime = time.Minute
	if !hasParam(url, "connect_timeout") {
		// A database that drops packets must turn into 503s, not into
		// requests that wait for the kernel's minutes-long TCP timeout.
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	cfg.ConnConfig.DialFunc = dialer().DialContext
	if !hasParam(url, "synchronous_commit") {
		// Durable means the commit's WAL is flushed before we answer,
		// whatever the server's default says.
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("connect", err)
	}
	s := &Store{pool: pool, connCfg: cfg.ConnConfig, instance: newUUID(), stop: make(chan struct{})}
	if err := s.start(ctx); err != nil {
		s.closeLease()
		pool.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.renewLease()
	return s, nil
}

// start migrates the schema and takes the lease.
func (s *Store) start(ctx context.Context) error {
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&s.salt); err != nil {
		return wrap("connect", err)
	}
	if err := migrate(ctx, s.pool); err != nil {
		return err
	}
	return s.touchLease(ctx)
}

// Close ends the lease (so that other instances may adopt this one's
// unfinished intents at once; if the database cannot be reached the lease
// just expires), waits for the calls under way and closes the connections. It returns storage.ErrClosed if the store is already closed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return storage.ErrClosed
	}
	close(s.stop)
	s.wg.Wait()
	s.closeLease()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM atomdav_instances WHERE id = $1`, s.instance)
	s.pool.Close()
	if err = wrap("close", err); errors.Is(err, ErrUnavailable) {
		// Stopping while the database is down is not a failure: the lease
		// expires after LeaseTTL and survivors adopt the intents then.
		return nil
	}
	return err
}

// renewLease keeps this instance's lease alive until Close. A failed
// renewal (the database is down) is retried at the next tick.
func (s *Store) renewLease() {
	defer s.wg.Done()
	t := time.NewTicker(LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), LeaseTTL/3)
			_ = s.touchLease(ctx)
			cancel()
		}
	}
}

// touchLease creates or extends this instance's lease: it makes sure the
// lease connection holds the instance's session advisory lock (connecting
// again after a lost connection), then records on the database clock that
// it did, and until when the lease lasts.
func (s *Store) touchLease(ctx context.Context) error {
	key := lockKey(s.salt, spaceInstance, s.instance)
	var err error
	if s.lease == nil || s.lease.IsClosed() {
		s.closeLease()
		if s.lease, err = pgx.ConnectConfig(ctx, s.connCfg.Copy()); err != nil {
			s.lease = nil
			return wrap("lease", err)
		}
		var held bool
		err = s.lease.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&held)
		if err == nil && !held {
			err = fmt.Errorf("instance lock %d held by another session", key)
		}
	}
	if err == nil {
		_, err = s.lease.Exec(ctx, `
			INSERT INTO atomdav_instances (id, lock_key, renewed, expires)
			VALUES ($1, $2, clock_timestamp(), clock_timestamp() + $3 * interval '1 microsecond')
			ON CONFLICT (id) DO UPDATE SET renewed = excluded.renewed, expires = excluded.expires`,
			s.instance, key, LeaseTTL.Microseconds())
	}
	if err != nil {
		s.closeLease()
	}
	return wrap("lease", err)
}

// closeLease closes the lease connection, which frees the instance lock.
func (s *Store) closeLease() {
	if s.lease != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.lease.Close(ctx)
		s.lease = nil
	}
}

// enter is called first by every method: it fails with the context's error
// or storage.ErrClosed.
func (s *Store) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return nil
}

// fail turns a database error into the method's error: storage.ErrClosed
// after Close, the context's error, ErrUnavailable, or the error itself.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("postgres: %s: %w (%w)", op, cerr, err)
	}
	return wrap(op, err)
}

// inTx runs fn in a read-committed transaction, committed if fn returns nil.
func (s *Store) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	if err := s.enter(ctx); err != nil {
		return err
	}
	return s.fail(ctx, op, pgx.BeginFunc(ctx, s.pool, fn))
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

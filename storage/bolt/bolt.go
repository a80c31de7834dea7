package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/atomdav/atomdav/storage"
)

// ErrInUse is returned by Open when another process holds the database file.
var ErrInUse = errors.New("bolt: state database is in use by another process")

// ErrInvalidName is returned for a property name that cannot be stored: an
// empty local name, a local name holding a NUL byte, or a name so long that
// its key exceeds bbolt's key size limit.
// It wraps storage.ErrInvalidName.
var ErrInvalidName = fmt.Errorf("bolt: invalid property name: %w", storage.ErrInvalidName)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// Options configures Open. The zero value is the safe default: fsync on
// every commit, and give up on a locked file after DefaultTimeout.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process.
	// Zero means DefaultTimeout.
	Timeout time.Duration

	// NoSync skips the fsync after each commit: a commit then survives a
	// crash of the process but not of the machine. For the "relaxed"
	// durability setting and for tests only.
	NoSync bool

	// OnCommit, if set, is called by the group-commit writer after each
	// write transaction it commits, with the time the transaction took
	// (fsync included) and the number of writes it applied. It runs on the
	// writer goroutine, so it must be quick and must not call the Store;
	// it is never called concurrently with itself. Nil ignores commits.
	OnCommit func(d time.Duration, writes int)
}

// Store is the bbolt storage.Store. Its methods are safe for concurrent use.
type Store struct {
	db      *bbolt.DB
	writes  chan *write   // the group-commit queue, read by run
	stopped chan struct{} // closed when run has returned
	txns    atomic.Uint64 // write transactions committed, for benchmarks
	// onCommit is Options.OnCommit; only the writer goroutine calls it.
	onCommit func(d time.Duration, writes int)
	// mayHaveLocks is false only while the lock table is known empty, so
	// that a request on an unlocked share reads no lock table (see
	// noLocks). Only the writer goroutine (and Open) changes it.
	mayHaveLocks atomic.Bool
	// syncPoint is the journal's last committed sequence number, set by
	// the writer after each commit (and by Open), so that SyncPoint, which
	// every journaled write and sync asks, reads no transaction.
	syncPoint atomic.Uint64
	// jw gathers the journal entries of the group being committed; only
	// the writer goroutine uses it.
	jw journalWriter
	// tags are the folders' ctags moved since the last checkpoint
	// (ctags.go).
	tags pendingTags
	// memo keeps the lock records decoded, for the lock table read of
	// every request.
	memo lockMemo

	mu     sync.RWMutex // guards closed; held for reading while sending on writes or reading db
	closed bool
}

var (
	_ storage.Store     = (*Store)(nil)
	_ storage.IntentLog = (*Store)(nil)
	_ storage.Walker    = (*Store)(nil)
	_ storage.LockTable = (*Store)(nil)
)

// Open opens the database file, creating it and its parent folder (mode
// 0700) if needed, and starts the group-commit writer. It returns ErrInUse
// if another process keeps the file locked for longer than opts.Timeout.
func Open(file string, opts Options) (*Store, error) {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bolt: create state folder: %w", err)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	db, err := bbolt.Open(file, 0o600, &bbolt.Options{
		Timeout:      timeout,
		NoSync:       opts.NoSync,
		FreelistType: bbolt.FreelistArrayType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (%s)", ErrInUse, file)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", file, err)
	}
	if err := initDB(db, dir); err != nil {
		_ = db.Close()
		return nil, err
	}
	s := &Store{
		db:       db,
		writes:   make(chan *write, maxGroup),
		stopped:  make(chan struct{}),
		onCommit: opts.OnCommit,
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		s.mayHaveLocks.Store(hasLocks(tx))
		s.syncPoint.Store(tx.Bucket(bucketJournal).Sequence())
		return nil
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", file, err)
	}
	if err := s.replayTags(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: open %s: replay of the ctags: %w", file, err)
	}
	go s.run()
	return s, nil
}

// initDB creates the buckets and makes the file's directory entry durable.
func initDB(db *bbolt.DB, dir string) error {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, name := range append([][]byte{bucketProps, bucketIntents, bucketLocks, bucketLive}, journalBucket...) {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return initJournal(tx)
	})
	if err != nil {
		return fmt.Errorf("bolt: create buckets: %w", err)
	}
	if err := storage.SyncDir(dir); err != nil {
		return fmt.Errorf("bolt: sync state folder: %w", err)
	}
	return nil
}

// Close waits for the queued writes to commit, then closes the database.
// It returns storage.ErrClosed if the store is already closed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	s.closed = true
	close(s.writes)
	s.mu.Unlock()

	<-s.stopped
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	return nil
}

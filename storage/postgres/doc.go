// Package postgres is the shared storage.Store: dead properties, locks and
// intents in one PostgreSQL database, so that several atomdav instances
// over one content folder behave as one server (DESIGN §1, §5).
//
// Open connects (pgx), then creates or migrates the schema: versioned
// migrations run in one transaction under a transaction-level advisory lock,
// so instances starting at once migrate exactly once. The tables live in the
// connection's current schema (set search_path in the URL to choose one) and
// are all named atomdav_*.
//
// # Layout
//
// atomdav_props holds one row per property, keyed by (path, ns, local), with
// the resource's depth (number of slashes, 0 for the root) beside it. Paths,
// names and values are bytea, kept byte for byte (paths need not be UTF-8).
// Byte order puts a subtree in one key range:
//
//	P and its descendants   path = P  OR  path >= P+"/" AND path < P+"0"   ('0' follows '/')
//	direct children of P    depth = depth(P)+1 AND path in that range      (index on depth, path)
//
// so a folder read (FolderProps, the PROPFIND Depth 1) is one query over two
// index ranges, never one query per child, and a subtree delete, move or
// copy is one statement (after clearing the destination: two). With the
// root, P+"/" is just "/". Range comparisons, not LIKE: paths may hold % and _.
//
// atomdav_live holds the records of settable live property changes
// (storage.LiveLog), keyed by (path, ns, local); PatchPropsLive writes them
// in the batch, hence the transaction, of its properties. ClearLive commits
// with synchronous_commit off: a record a crash keeps is judged again at
// recovery.
//
// The change journal (storage.Journal, journal.go) is atomdav_journal (the
// entries by seq), atomdav_index (each path's last known state) and
// atomdav_ctags (each folder's tag), laid out by depth and path as
// atomdav_props is, and atomdav_journal_meta, one row holding the journal's
// id, its sync point and its horizon. Every transaction that journals
// first raises the sync point in that row, whose lock it holds to its
// commit: the journaling transactions of every instance commit in seq
// order, so a reader never finds, later, an entry numbered at or below a
// sync point it was given. It is taken after the advisory locks, and
// before any index or ctag row, so the order stays global.
//
// # Concurrency
//
// A Store is safe for concurrent use, and so are several Stores, in one
// process or many, on one database. Each mutating call is one transaction.
// Calls are serialised where they touch the same resources by
// transaction-level advisory locks, taken in one global order so they
// cannot deadlock: a PatchProps of P takes P's resource lock exclusively
// and the subtree locks of P and its ancestors shared; a DeleteTree or a
// completed intent (a copy, move or delete of a subtree) takes the subtree
// locks of its source and destination exclusively (their ancestors
// shared). Two PROPPATCHes of one resource
// through two instances therefore never interleave, a PROPPATCH waits for a
// MOVE of an ancestor, and unrelated paths never wait on each other. Reads
// are single statements and see one committed state. Every decision reads
// the database; nothing is cached.
//
// Lock writes (CreateLock, RefreshLock, DeleteLock, DeleteLocksUnder) take
// the lock table in EXCLUSIVE mode (readers go on), check conflicts and the
// lock limits (storage.LockLimits) and sweep expired locks in the same
// transaction, so of two instances racing for conflicting locks exactly one
// wins and racing locks never pass a limit together. Expiry is judged on
// the database's clock (clock_timestamp()), never on an instance's. Each
// lock row keeps its principal; rows from before schema version 3 belong
// to anonymous (the empty principal).
//
// Intents carry the instance that began them. Each Store keeps a lease row
// (atomdav_instances) renewed every LeaseTTL/3 on the database clock, and
// holds a session advisory lock on a connection of its own while its
// process lives; Close removes the row. An instance is dead when its lease
// has run out, or when its lock is no longer held (its process was killed:
// PostgreSQL frees a session's locks when its connection closes), unless
// the database restarted since the instance last took the lock, when only
// the lease decides. Intents returns this instance's own intents and adopts
// those of dead instances: adoption is an UPDATE, so of several survivors
// exactly one gets each intent, and an instance restarted after a kill -9
// finds its predecessor's intents at once.
//
// # Durability
//
// A call returns nil only after PostgreSQL has committed it, which with the
// default synchronous_commit = on means its WAL is flushed to disk.
// PostgreSQL groups concurrent commits into one WAL flush by itself.
//
// # Errors
//
// When the database cannot be reached (connection refused or lost, the
// server shutting down or not accepting connections), methods return an
// error wrapping ErrUnavailable, which a server answers with 503 Service
// Unavailable: nothing was changed, or the transaction's outcome is that of
// PostgreSQL's crash recovery (all or none). The pool reconnects by itself
// once the database is back.
package postgres

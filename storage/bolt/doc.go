// Package bolt is the embedded default storage.Store: every dead property
// of every resource in one bbolt file (by default <root>/.atomdav/state.db),
// fsynced on each commit.
//
// Properties live in the "props" bucket under keys laid out so that one
// resource, the direct children of a folder, and a whole subtree are each a
// contiguous key range (see keys.go); a PROPFIND of a folder is one range
// scan and COPY, MOVE and DELETE of a collection are one transaction.
//
// The "intents" bucket is the intent log: each tree change under way, keyed
// by its ID (big-endian, from the bucket's sequence, so key order is age and
// IDs are never reused). Completing an intent applies its property change
// and deletes it in one transaction.
//
// The "live" bucket holds the records of settable live property changes
// (storage.LiveLog), keyed by path, NUL, namespace, NUL, local name; a
// PatchPropsLive writes them in the transaction of its properties.
// ClearLive is queued for the group-commit writer and not awaited, so
// clearing costs a request no fsync of its own.
//
// The change journal (storage.Journal, journal.go) is four buckets:
// "journal" holds the entries (the bucket's sequence is the sync point),
// "index" the last known state of each path and "ctags" each folder's tag,
// both keyed by the resource's own prefix so that a folder's children and
// a subtree are key ranges as in "props", and "jmeta" the journal's id,
// compacted horizon and ctags checkpoint. Entries are written by the
// group-commit writer in the transaction of the change they describe
// (PatchProps with storage.WithChanges, CompleteIntent), so the single
// writer numbers them in commit order; a group's entries are one record,
// keyed by the first one's number (big-endian). The ctags moved since the
// last checkpoint are kept in memory, the journal after the checkpoint
// being their log (ctags.go): written with every commit, they made it
// rewrite as many pages as the properties it journals. ChangesSince and
// IndexChildren read a batch per read transaction, so no transaction stays
// open while the caller answers a client.
//
// The "locks" bucket is the lock table, keyed by lock token; each value is a
// length-prefixed binary record (lockrecord.go) that keeps paths and owner
// XML byte for byte. Expiry is judged on this machine's wall clock, so a
// lock survives a restart until its time is up. A table is small and keyed
// by token, so Locks reads all of it; CreateLock reads all of it inside its
// write, checking conflicts and the lock limits (storage.LockLimits) and
// sweeping expired locks in the same transaction. A record also keeps the
// lock's principal; records written before it was kept (layout version 1)
// read as the anonymous principal's. While the table is empty, which the writer knows since it
// makes every change to it, Locks and DeleteLocksUnder answer without a
// read transaction: on a share nobody locks, a write request reads no lock
// table. Otherwise each read reuses the decoded records whose bytes it has
// decoded before (lockMemo, bounded to 4096 records and 4 MiB), so a
// request pays one bbolt scan of the table, not a decoding of every lock.
// The PROPPATCH count check runs inside its commit (PatchPropsIf).
//
// # Concurrency
//
// A Store is safe for concurrent use. Reads run in their own bbolt read
// transactions, concurrently with each other and with the writer. Writes go
// through a queue to a single writer goroutine that commits them in groups:
// it takes the first queued write, drains whatever else is already queued
// (up to 256, without waiting for more: there is no timer, so a lone writer
// pays no batching delay), applies them all in one bbolt transaction and
// answers each. Writes are validated before they are queued. What depends
// on the state the earlier writes of the group leave (a conflicting lock, a
// lock or intent gone) is checked by the write's apply function before it
// changes anything; a lock write refuses (see refuse) and fails alone while
// the rest of its group commits, and a group whose writes are all refused
// is rolled back without an fsync. Should a group still fail, each of its
// writes is retried alone, so only the failing one reports an error. A write whose context ends while it waits in the queue
// is dropped and returns the context's error; once its group is committing
// it completes. bbolt's DB.Batch is not used: with its default delay it
// capped a single client at about 89 commits/s.
//
// # Durability
//
// With the zero Options, a write returns nil only after its transaction is
// on disk (bbolt fdatasyncs the data pages, then the meta page), so a crash
// at any moment leaves all or none of each write. Group commit shares that
// cost among the writes that queued during the previous commit. The file is
// locked while open: a second process gets ErrInUse after Options.Timeout.
package bolt

// Package localfs serves a directory of the local disk as a
// golang.org/x/net/webdav FileSystem and keeps the dead properties in a
// storage.Store consistent with the tree: removing, renaming or copying a
// resource does the same to its properties.
//
// # Security
//
// The root is a jail. Names are cleaned ("..", encoded or not, cannot climb
// out), the state folder that holds the store and the temp files of
// uploads are neither listed nor reachable, whatever the case of their
// names (a case-insensitive file system would open them), and a symlink whose target lies outside the root is refused,
// dangling or not. The check lstats only the components below the root
// and hands a path with a symlink on the way to a full evaluation; Open
// lets the kernel refuse symlinks (openat2) so a GET costs one system call.
// Symlinks inside the root are followed, so Nested compares paths after
// resolving them, and Copy refuses (ErrLoop) a member that leads back into
// a folder it is copying rather than nest copies without end. An Upload
// holds its folder open, not by name: a folder moved or replaced during an
// upload never receives the file under another name (ErrParentChanged).
// Removing a folder into which another instance sharing it puts an
// upload's temp file meanwhile (ENOTEMPTY at the last rmdir) is tried
// again a few times, taking the newcomer with it, rather than failing.
//
// Real gives the one name of a resource that symlinks inside the root
// reach by several (alink/x is a/x when alink -> a), so that callers key
// locks and properties by it, and refuses names leading out as the jail
// does; a name with no symlink on the way costs it one openat2, and
// OpenReal learns it while opening at no extra cost. RealStat adds the
// Stat of that name from an fstat of what the same openat2 (O_PATH,
// RESOLVE_NO_SYMLINKS) opened, so the kernel checks and stats one file
// with no window between; with a symlink on the way, or without openat2,
// it gives no FileInfo and the caller stats through the jail. ReadDir
// lstats members relative to the open folder (fstatat, Linux), never
// following a member's symlink. OpenReal's file is, on Linux, a bare
// descriptor opened O_NONBLOCK and never polled: a FIFO left in the share
// answers a read with EAGAIN rather than holding the request until a
// writer comes. A view of the share
// whose "/" is a folder of it jails itself with Real; CopyBeneath does
// not copy a member whose symlink leads out of that folder.
//
// # Durability
//
// Content writes are atomic: a temp file in the same folder, fsync,
// rename, fsync of the folder (see Upload, which tree copies use too);
// concurrent fsyncs of one folder are shared (storage.SyncDir is the one
// folder fsync). With Options.Relaxed the fsyncs are skipped: still
// atomic against a process crash, not against a power cut. Removing,
// renaming or copying records an intent in the store first so a crash
// part-way is rolled forward or undone by Recover, the one place intents
// are recovered: at start-up, and while serving for the intents of dead
// peers sharing the store, under the server's path locks. Removing or
// renaming a plain file with nothing in a store this process owns alone
// needs no intent, being one atomic unlink or rename.
// A settable live property's change (PrepareMtime, PrepareExec) is a
// record the store commits with the dead properties of its PROPPATCH;
// ApplyLive makes it and fsyncs the file (the inode changed: fdatasync
// would not cover it); RecoverLive re-applies at start-up the records a
// crash left, but only to the file each was prepared on (same device,
// inode and size) while it shows the old or the new value, so a file
// replaced or changed since never gets an old mtime back.
//
// On Windows, which atomdav builds for (make dist) but whose tests do not
// run, files carry no inode: no Stamp (so no checksums are kept) and no
// device and inode in a live record; and storage.SyncDir does nothing,
// as Windows cannot flush a folder, so a power cut may lose a rename made
// just before it.
//
// Upload.CommitWith lets a caller commit a record of the new content (its
// checksums, keyed by the temp file's Stamp, which the rename keeps)
// beside the content's fsync and before the rename, or beside the
// folder's fsync after it; StampOf reads a file's stamp (inode, size,
// mtime) so that such a record is believed only while it fits the file.
package localfs

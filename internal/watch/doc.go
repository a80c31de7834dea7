// Package watch keeps the store's index of the share (storage.Journal) in
// step with changes made on disk behind the server's back: a user editing
// the served folder locally, a backup restoring files. A reconciling scan
// compares each folder of the disk with the index and records the
// differences; an inotify watcher (fsnotify) on every folder asks for a
// rescan of the folder an event names.
//
// The scan reads one folder at a time (localfs.ReadDir, one lstat per
// member relative to the folder) and merges it by name with the index's
// children of that folder (IndexChildren, streamed), comparing kind,
// size, modification time and inode: a restore that puts back the same
// size and mtime under a new inode is a change. A folder is compared by
// kind and inode only: its mtime moves with every member added or
// removed, which those members' own changes record. Differences are recorded
// in batches (Options.Batch) through RecordChanges. A folder removed on
// disk is one ChangeRemoved (the store drops its subtree); a new or
// replaced folder is scanned below. Memory is one folder's listing plus,
// on each level of the recursion, the names of the subfolders still to
// scan, whatever the size of the tree.
//
// The watcher does not interpret events: an event in folder D schedules
// a rescan of D (after Options.Debounce, gathering a burst into one), and
// a lost event (the kernel queue overflowed) or too many pending folders
// schedule a full rescan, as does Options.RescanInterval. Events during
// a rescan schedule another, so once the tree is quiet the index
// describes it. Watches follow the folders: added as the scan lists a
// folder, dropped when it leaves the index or the disk. A folder the
// index already holds as it is but that has no watch (one atomdav moved
// is journaled with its members as it is renamed, before the rescan its
// events bring, and fsnotify drops a renamed folder's watch) is listed, and so watched, when its parent is
// rescanned. The kernel's watch limit
// (fs.inotify.max_user_watches) may leave folders unwatched: Report says
// how many, and each full rescan tries again. Without inotify (another
// platform, no instance left) the watcher scans only.
//
// Atomdav's own writes are in the index before they reach the disk (the
// journal records them first), so a scan running between the two records
// at most a spurious change, never a wrong final state: the event of the
// write brings a rescan after it. A new upload is journaled just after its
// rename instead; a member the index holds that a folder's listing lacks
// is looked at once more before it is recorded removed, so an upload
// landing while its folder is listed costs no spurious removal (and no
// rescan of the folder for its event, during which the next uploads would
// land the same way). A scan's record that lands after the journaled
// removal of its folder cannot leave an orphan: the store indexes the
// folders above every upsert (storage.Journal), so the folder is back in
// the index, and the rescan the removal's events bring finds it gone,
// with all below it.
//
// # Concurrency
//
// Scans run on one goroutine at a time (Start's, then the watcher's);
// events are gathered on another into a set guarded by a mutex.
//
// # Security
//
// The share is read only through storage/localfs, within its jail. The
// state folder and the temp files of uploads (localfs.IsHidden) are
// never indexed, watched or rescanned, nor are names a store path cannot
// hold. A symlink is indexed as what the share serves under its name:
// the file or folder it leads to inside the share (that folder's members
// are indexed under their own names, never walked through the link), and
// nothing at all when it leads out of the share, to a reserved name or
// nowhere; so no link makes a scan leave the share or go round a loop.
// An event is only a name whose folder is rescanned through localfs, so
// a watch that a race put on a folder swapped for a symlink meanwhile
// makes the server read nothing outside the share. Pending rescans are
// bounded (Options.MaxPending), so a flood of events costs at most one
// full rescan, and a rescan waits at least as long as the last one took,
// so no stream of writes keeps a core busy rescanning. Watches come from
// the kernel's per-user budget (fs.inotify.max_user_watches, which also
// bounds the watcher's own map of them): a user making folders over
// WebDAV spends it up to the limit, past which folders are left to the
// periodic rescan; nothing fails.
package watch

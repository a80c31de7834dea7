// Package dav is atomdav's WebDAV method router (RFC 4918). It serves
// PROPPATCH through the atomic proppatch engine and every other method
// with its own handler, each taken over from golang.org/x/net/webdav for a
// reason named at the handler (the last, GET, because x/net/webdav cannot
// serve a per-user view).
//
// The handlers reach the disk through one door, Config.FS (a FileSystem:
// storage/localfs's jail, read and write operations that keep properties
// in step with the tree), and the store only as Config.Store (dead
// properties) and Config.Locks (the lock table), passed explicitly, and
// the folders of chunked uploads only through Config.Uploads
// (storage/uploads). They call no os, syscall or x/sys/unix function
// themselves; arrows_test.go fails when one does.
//
// Every handler returns (status int, err error); ServeHTTP alone writes
// error responses, and reports errors through Config.OnError (libraries do
// not log).
//
// Locks live in the store's lock table (storage.LockTable) and every write
// goes through checkWrite: the If header (RFC 4918 §10.4) first, then the
// locks protecting what the write touches.
//
// # Client quirks
//
// What the server does for one client beyond RFC 4918, by client, with
// where it is done; this is the one list of them.
//
//   - Windows' Mini-Redirector (Explorer's network drives): an OPTIONS of
//     the root answered without credentials (internal/server auth.go,
//     WriteCollectionOptions), or it never sends any; MS-Author-Via: DAV
//     (options.go, also for Office); Win32LastModifiedTime settable as the
//     file's mtime (liveprops.go, live.go); the quota properties of RFC
//     4331 for the drive's size (liveprops.go, quota.go); an UNLOCK
//     Lock-Token without angle brackets (lock.go).
//   - macOS Finder: X-Expected-Entity-Length on chunked PUT bodies
//     (clientext.go); names sent in NFD found as stored in NFC and the
//     reverse (storage/localfs unicode.go); .DS_Store and ._* files left
//     out of listings with Config.HideOSJunk (junk.go, Thumbs.db and
//     desktop.ini for Windows too).
//   - rclone, ownCloud and Nextcloud clients: checksums computed by the
//     server while an upload streams in (digest.go), kept in the file's
//     content record (content.go) and reported as oc:checksums; file ids
//     as oc:fileid, oc:id and OC-FileId; OC-Checksum verified, X-OC-Mtime
//     on PUT, COPY and MOVE (clientext.go, put.go, copymove.go,
//     copystamp.go); oc:permissions, which the Nextcloud desktop client
//     requires of every entry (ocpermissions.go).
//   - RFC 9530 clients: Content-Digest and Repr-Digest verified on PUT,
//     Repr-Digest answered for Want-Repr-Digest on GET and HEAD
//     (digestheader.go, getdigest.go).
//   - davfs2 (chmod +x) and KIO (Dolphin): Apache's executable property,
//     settable, and its DAV: spelling, read-only (liveprops.go, live.go).
//   - Nextcloud's desktop client and web UI, rclone (vendor nextcloud):
//     chunked uploads, chunking v2 and the chunk names of v1 (indexes,
//     byte offsets) and rclone (byte ranges) (ServeUploads, chunked.go,
//     chunkput.go).
//   - Browsers: an HTML listing of a collection for Accept: text/html, and
//     text for curl and scripts (listing.go); CORS lists the WebDAV and
//     upload headers (internal/server cors.go).
//   - Case-insensitive file systems (macOS, Windows, casefold folders):
//     the state folder and temp files are reserved whatever the case of
//     their names (storage/localfs localfs.go IsHidden).
//
// # Content records
//
// Every file written through atomdav has one content record, the dead
// property {urn:x-atomdav:}content (content.go): its file id, the stamp
// (inode, size, mtime) of the content it describes, and that content's
// digests. Keeping it as a dead property makes MOVE, COPY and DELETE
// carry it through the store's intents, with no schema of its own. Its
// digests count only while the file's stamp is the recorded one: never a
// stale checksum, after a change behind the server's back or a crash. A
// PUT commits the record of the new content, stamped with the temp
// file's inode (the rename keeps it), beside the temp file's fsync and
// before the rename when the file exists, and beside the folder's fsync
// after the rename when it is new (no record is left for a path with no
// file): one store commit per PUT. PROPFIND never reads a file to
// compute a digest; GET and HEAD do for Want-Repr-Digest when the record
// does not fit, and then write a fresh one under the path lock.
//
// # Concurrency
//
// Writes take per-path locks (internal/pathlock): a write to a path waits
// for writes to the same path and for COPY/MOVE/DELETE of its ancestors;
// unrelated paths never wait. A write checks WebDAV locks while holding its
// path locks, so the answer holds until it is done, and a write without an
// If header only gets 423 Locked when a client really holds a lock.
// No path lock is held while a client sends a body: XML bodies are read
// before locking, and a PUT streams its body into a temp file first and
// takes its path lock only to commit (409 when the folder went meanwhile),
// so a slow client holds up nobody. Every wait for a path lock ends with
// the request's context.
//
// # Security
//
// XML bodies are bounded (Config.MaxXMLBytes → 413) and parsed in time
// linear in their size (namespaces resolved with proppatch.Namespaces),
// PROPFIND Depth: infinity is refused unless enabled, and the state folder
// is unreachable. A LOCK's owner XML, echoed by every lock discovery, is
// bounded (Config.MaxLockOwnerBytes) and must pass the checks of a
// PROPPATCH value (proppatch.CheckFragment), else 400; a stored owner that
// fails those checks today (a lock taken by an older version, or under a
// larger limit) is left out of lock discovery, each lock checked once.
// Every request header parsed here (Depth, Destination, Overwrite,
// Timeout, OC-Checksum, X-OC-Mtime, X-Expected-Entity-Length,
// Content-Digest, Repr-Digest, Want-Repr-Digest; If in ifheader) has a
// fuzz target; a malformed one is 400 (Want-Repr-Digest: ignored), never
// a panic. A digest dictionary is read in one pass, at most 32 members.
//
// The reserved namespace urn:x-atomdav: (content records) is the
// server's: PROPFIND never shows it (404 by name), PROPPATCH of
// any name in it is 403 cannot-modify-protected-property, like
// oc:checksums, oc:fileid and oc:id, which are live. A GET with
// Want-Repr-Digest costs one read of the file and at most one store
// write, and only when the file's record does not fit it; that read holds
// an upload slot (none free: no Repr-Digest) and ends with the request.
//
// What one request makes the server read or write is bounded by options,
// not only by its size: an If header of more than Config.MaxIfConditions
// conditions is 400 before any is evaluated, and each resource it names is
// read once however many lists name it; a PROPFIND naming more than
// Config.MaxPropfindProps properties (prop or include), each answered for
// every member, is 403; a Range of more than Config.MaxRanges ranges is
// ignored (the whole file, 200), as multipart parts cost a read and
// headers each. PROPPATCH's 207 names each instruction once. The 5xx
// statuses a client can ask for (501 for an unknown method, 502 for a
// Destination outside the share, 503 with no upload slot free, 507 over a
// lock limit or for a property name the store cannot keep) are not
// reported to Config.OnError, so no client can fill the server's error log.
//
// The sync-collection REPORT (sync.go) answers only members below the
// requested collection, hence inside the view; its sync-token names the
// store's journal and a point in it, and a token of another store, a
// malformed one or one past what the store gave is 403 valid-sync-token
// (tokens are not secret: the points are shared by every user of a store).
// Its body is bounded like PROPFIND's (Config.MaxXMLBytes, MaxPropfindProps;
// a fuzz target), an incremental answer holds at most Config.MaxSyncResults
// members (the distinct paths it keeps in memory), and an initial one is
// streamed a folder at a time, cut into pages at that bound; so is the
// walk of a tree moved or copied in, whose token goes on inside the tree.
// A limit too small for the folders above a change is 507
// number-of-matches-within-limits, never a page that does not go on.
// Both answer only what the journal's index holds (a file made on disk
// comes once the watcher recorded it), so no client is told of a member
// whose removal the journal could never record.
//
// A view's root (the share's, or the folder a user sees as "/") is never
// deleted, moved, overwritten by a COPY or MOVE, replaced by a PUT (403,
// 405 for PUT) or, when missing, made an empty file by a LOCK (403);
// PROPPATCH and LOCK of it are allowed.
//
// A view's per-path rules (Restricted, internal/access; permissions.go)
// are applied to the name a request used and to the Real name it leads
// to: under none every method is 404 with the body of a missing path's,
// and the path is never listed (PROPFIND at any Depth, the HTML and text
// listings, through listed), nor reached through a symlink, nor seen by
// an If header (it evaluates as absent); under read every write method
// is 403. COPY needs read on its source, MOVE write, both write on the
// destination (403), as does a chunked upload's assembly. An operation on
// a whole folder (COPY, MOVE, DELETE, LOCK Depth: infinity, an overwritten
// destination) is refused (403) before anything changes when a rule below
// it allows less than it needs, judged by the rules, not the tree; the one
// exception is a COPY's symlinks, which the copy follows: one leading to a
// hidden path refuses it too (a walk of the source, only when some rule is
// none). Config.Hide's names are only left out of listings.
//
// Files are served with Content-Security-Policy: sandbox, so an uploaded
// .html or .svg never runs script in the share's origin (with the
// credentials of whoever opens it), and every answer carries
// X-Content-Type-Options: nosniff. The listing page has its own CSP that
// allows only its inline style and script, by hash, and requests to its
// own origin only (connect-src 'self'); html/template escapes every name
// in it, and its script writes names as text, never as HTML. The page's
// write controls (shown where pageMayWrite) send plain WebDAV requests
// (PUT, MKCOL, MOVE, DELETE, chunked uploads), checked as any client's;
// no GET or form POST changes anything, so another site cannot make a
// browser write without a CORS preflight. A folder downloaded as a zip
// (GET ?zip) holds what the listing shows (h.listed), follows a symlink
// only to a file inside the view's root, is streamed (no temp file),
// bounded by Config.MaxZipBytes and Config.MaxZips, and stops with its
// request. Refusals reach a browser's navigation as a small HTML page and
// other clients as text (or DAV:error XML); neither shows a local path,
// the operation of an os error or a Go package prefix (publicMessage),
// and a 5xx never its internal error.
//
// Each view (Handler.Scoped) serves one principal: a user, or anonymous.
// A lock belongs to the principal that took it (RFC 4918 §6.4): only that
// principal sees its token in DAV:lockdiscovery, and only its requests
// submit it; another principal's token, even known, unlocks nothing (a
// write naming it is 423), and its UNLOCK or refresh is 403. A lock rooted
// above a view is shown (its lockroot as the view's root) and enforced in
// it, but never refreshed or removed through it. Config.LockLimits bound
// the live locks per resource and per principal, checked by the store in
// the transaction that adds a lock (507 above them), so that no client can
// make lockdiscovery answers grow without end.
//
// Chunked uploads (ServeUploads) live in Config.Uploads keyed by the
// view's principal, whatever URL reached the view: a principal sees,
// fills, assembles and aborts only its own. Upload ids and chunk names
// are checked (storage/uploads) before they reach the disk; a chunk body
// has PUT's bounds (max-upload-bytes for all of an upload's chunks
// together, the idle and rate bounds, an upload slot), and the store
// bounds the uploads and bytes pending per principal (507). The MOVE of
// .file writes its Destination, which must be a file of the view,
// through PUT's own pipeline (putContent): If and locks, preconditions,
// checksums, the atomic rename.
//
// A view's root is a jail like the share's: a name that a symlink leads
// out of it (into another user's folder, say), or such a symlink itself, is
// refused with 403, as one leading out of the share is, and listings and
// tree copies leave such symlinks out. Every request works on its
// resource's Real name (localfs.FS.Real: symlinks inside the share
// resolved), so path locks,
// WebDAV locks and dead properties see one name per resource: a lock of
// /a holds against a write to /alink/x when alink -> a, whoever sends it.
// Hrefs keep the names the client used. DELETE and MOVE act on a symlink
// itself (the binding, RFC 5842), never on what it leads to. A PROPFIND
// Depth: infinity does not walk a symlink back into the folders it is
// walking.
//
// A PUT body that sends nothing for Config.UploadIdleTimeout, or under
// Config.UploadMinRate on average over such a window (the first excepted),
// ends with 408 and its temp file removed, and no path lock is held while
// a body streams. The PUT bodies received at once are bounded in all
// (Config.MaxUploads) and per principal (Config.MaxUploadsPerUser), so no
// user takes every slot from the others: a PUT over either is 503 with
// Retry-After before a temp file is made or its body read. COPY and MOVE
// compare source and destination after resolving symlinks (403 when one lies
// inside the other), and a tree copy does not follow a symlink back into a
// folder it is copying (508 for that member).
package dav

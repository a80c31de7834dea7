// Package uploads keeps the folders of chunked uploads (Nextcloud's
// chunking v2, and the v1 names rclone uses) on disk: one folder per
// upload, per principal, holding the chunks received so far and what the
// upload said about itself when it began (its Destination and total
// length). Its one job is that folder: durable, bounded, swept when
// left. Assembling the chunks into a file is the WebDAV handler's job
// (it streams them through PUT's pipeline, see Assembly).
//
// Layout: <dir>/<principal key>/<upload id>/ holds ".info" (JSON, written
// with the folder, which appears complete in one rename) and one file per
// chunk, named as the client named it. A chunk is written to a temp file
// in the folder, fsynced and renamed over its name, so a retried chunk
// replaces the previous one whole and a crash leaves the old chunk or the
// new one.
//
// # Concurrency
//
// A Store is safe for concurrent use. While an upload is being assembled
// (Open until Assembly.Close) its chunks cannot change: a chunk write, a
// removal or a second assembly is refused with ErrBusy; while a chunk is
// being written, an assembly is refused the same way. Sweep passes over
// busy uploads.
//
// # Security
//
// Principal names are any UTF-8 string ("" for anonymous): the folder of
// one is the hex of its name (a hash when long), never the name itself, so
// no name can lead elsewhere. Upload ids and chunk names are checked
// before they touch the disk (CheckID, CheckChunk): letters, digits and
// "-_.~" for ids (not starting with a dot, at most 200 bytes), decimal
// numbers or ranges "<start>-<end>" for chunks. Each principal sees only
// its own folder. Options bound the uploads and the bytes pending per
// principal; a full disk is the error the system call gave (ENOSPC).
package uploads

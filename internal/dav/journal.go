package dav

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"sync"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// Journaling: every change made through WebDAV is an entry of the store's
// change journal (storage.Journal), which the sync-collection REPORT, the
// sync-token and the folder ETags and ctags read. An entry is committed in
// the same transaction as the store change the operation makes anyway
// (PROPPATCH, a PUT's content record, the intent of MOVE/COPY/DELETE), or
// alone before the tree changes (MKCOL, LOCK of an unmapped URL): a crash
// can leave an entry for a change never made, never a change without one.
//
// An entry committed before its tree change is visible to readers before
// the change is: a sync answered in between would report the path as it
// was, with a sync-token past its entry, and the change would be lost to
// that client. The gate closes that window within one instance: a write
// enters it (noting the sync point before its entry) until its tree change
// is done, and a reader's sync-token never goes past the oldest point
// noted, so such an entry is reported again by the next sync.

// gate tracks the writes whose journal entries may be ahead of the tree.
// Shared by every view of a Handler.
type gate struct {
	mu     sync.Mutex // guards floors, next
	floors map[uint64]uint64
	next   uint64
}

// enter notes a write about to journal; the returned func ends it.
func (h *Handler) enter(ctx context.Context) func() {
	if h.journal == nil {
		return func() {}
	}
	floor, err := h.journal.SyncPoint(ctx)
	if err != nil {
		floor = 0 // the reader then syncs from the start of the journal, never beyond
	}
	g := h.gate
	g.mu.Lock()
	id := g.next
	g.next++
	g.floors[id] = floor
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		delete(g.floors, id)
		g.mu.Unlock()
	}
}

// syncPoint is the sync point a reader may answer up to: the store's,
// held back to before the entries of writes still under way.
func (h *Handler) syncPoint(ctx context.Context) (uint64, error) {
	sp, err := h.journal.SyncPoint(ctx)
	if err != nil {
		return 0, err
	}
	g := h.gate
	g.mu.Lock()
	for _, f := range g.floors {
		sp = min(sp, f)
	}
	g.mu.Unlock()
	return sp, nil
}

// record journals changes before a tree change made without a store
// change of its own; a no-op without a journal.
func (h *Handler) record(ctx context.Context, changes ...storage.Change) error {
	if h.journal == nil {
		return nil
	}
	_, err := h.journal.RecordChanges(ctx, changes)
	return err
}

// restate journals what the disk holds at p after a tree change
// journaled before it was made failed (something made p on disk in
// between, or the disk refused): the entry claimed a change that never
// happened, and no event of the watcher would follow to correct it. A
// path that cannot be read is left to the next rescan.
func (h *Handler) restate(ctx context.Context, p string, dir bool) {
	if h.journal == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	c := storage.Change{Path: p, Kind: storage.ChangeRemoved, Dir: dir}
	fi, err := h.fs.Stat(ctx, p)
	switch {
	case err == nil:
		c = upsertOf(p, fi, fi.IsDir())
	case !errors.Is(err, fs.ErrNotExist):
		return
	}
	_ = h.record(ctx, c) // failing, the journal is as wrong as before: the rescan's
}

// upsertOf is the journal entry of p, described by fi (nil: a new empty
// file or folder, as dir says).
func upsertOf(p string, fi fs.FileInfo, dir bool) storage.Change {
	c := storage.Change{Path: p, Kind: storage.ChangeUpsert, Dir: dir}
	if fi == nil {
		return c
	}
	c.Dir = fi.IsDir()
	c.MtimeNs = fi.ModTime().UnixNano()
	if !c.Dir {
		c.Size = fi.Size()
	}
	if st, ok := localfs.StampOf(fi); ok {
		c.Inode = st.Ino
	}
	return c
}

// taggedDir is a folder's FileInfo with its ctag, so that the getetag row
// of the live-property table (which reads a FileInfo only) gives a folder
// the ETag that moves with its contents.
type taggedDir struct {
	fs.FileInfo
	tag uint64
}

// folderTag is p's ctag (0 without a journal or a change seen below p).
func (h *Handler) folderTag(ctx context.Context, p string) (uint64, error) {
	if h.journal == nil {
		return 0, nil
	}
	return h.journal.FolderTag(ctx, p)
}

// tagged is fi with p's ctag when fi is a folder.
func (h *Handler) tagged(ctx context.Context, p string, fi fs.FileInfo) (fs.FileInfo, error) {
	if fi == nil || !fi.IsDir() || h.journal == nil {
		return fi, nil
	}
	tag, err := h.folderTag(ctx, p)
	if err != nil || tag == 0 {
		return fi, err
	}
	return taggedDir{fi, tag}, nil
}

// resourceETag is the strong ETag of p as PROPFIND and GET report it and
// If-Match compares: a folder's includes its ctag.
func (h *Handler) resourceETag(ctx context.Context, p string, fi fs.FileInfo) (string, error) {
	fi, err := h.tagged(ctx, p, fi)
	if err != nil {
		return "", err
	}
	return etag(fi), nil
}

// journalProps reads into d what the answer about p (and its members, by
// depth) takes from the journal: the folders' ctags, when it includes
// getetag or getctag, and the sync-token, when asked for by name.
func (h *Handler) journalProps(ctx context.Context, body *propfindBody, p string, fi fs.FileInfo, depth string, d *discovery) error {
	if h.journal == nil || !fi.IsDir() {
		return nil
	}
	if body.kind != propName && slices.Contains(body.names, nameSyncToken) {
		tok, err := h.currentToken(ctx)
		if err != nil {
			return err
		}
		d.syncToken = tok
	}
	if !body.wants(nameETag) && !slices.Contains(body.names, nameGetCtag) || body.kind == propName {
		return nil
	}
	d.tags = map[string]uint64{}
	if depth == "0" {
		t, err := h.journal.FolderTag(ctx, p)
		d.tags[p] = t
		return err
	}
	return h.journal.FolderTags(ctx, p, func(q string, t uint64) { d.tags[q] = t })
}

// currentToken is DAV:sync-token's value now: the sync point readers may
// answer up to.
func (h *Handler) currentToken(ctx context.Context) (string, error) {
	id, err := h.journal.JournalID(ctx)
	if err != nil {
		return "", err
	}
	sp, err := h.syncPoint(ctx)
	if err != nil {
		return "", err
	}
	return formatToken(id, syncToken{seq: sp}), nil
}

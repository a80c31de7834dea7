package dav

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/localfs"
)

// handlePut serves PUT itself: x/net/webdav truncates the file in place,
// so an interrupted upload destroys the old content. Here the body goes to
// a temp file and replaces the old file in one rename only when complete;
// the path lock is held just for that rename, never while the body arrives.
// It holds an upload slot from before the temp file is made to the end.
func (h *Handler) handlePut(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	if status, err := h.refusePut(r, p); status != 0 {
		return status, err
	}
	if max := h.cfg.MaxUploadBytes; max > 0 {
		if r.ContentLength > max {
			return http.StatusRequestEntityTooLarge, errors.New("upload too large")
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
	}
	meta, err := parseUploadMeta(r)
	if err != nil {
		return statusOf(err), err
	}
	var body io.Reader = r.Body
	if ub := newUploadBody(body, w, &h.cfg); ub != nil {
		defer ub.done()
		body = ub
	}
	return h.putContent(w, r, p, body, meta)
}

// putContent makes body the content of p the way a PUT does, and answers
// the request: preconditions, an upload slot, the body into a temp file
// beside p (checked against meta), then, under p's path lock, the lock
// checks and the atomic replacement. It is PUT's pipeline for any body a
// request supplies (a client's upload, or chunks assembled on MOVE), so
// every way a file's content changes keeps the same guarantees.
func (h *Handler) putContent(w http.ResponseWriter, r *http.Request, p string, body io.Reader, meta *uploadMeta) (int, error) {
	if status, err := h.checkPreconditions(r, p); status != 0 {
		return status, err
	}
	release, err := h.uploads.take(h.principal)
	if err != nil {
		return refuseUpload(w, err)
	}
	defer release()
	up, sums, err := h.upload(r, p, body, meta)
	if err != nil {
		return putStatus(err), err
	}
	sums = meta.checked(sums)
	unlock, err := h.paths.LockContext(r.Context(), p)
	if err != nil {
		up.Abort()
		return http.StatusServiceUnavailable, err
	}
	defer unlock()
	defer h.enter(r.Context())()
	created, id, status, err := h.commitUpload(r, p, up, sums)
	if status != 0 {
		return status, err
	}
	return 0, h.answerPut(w, r, p, meta, created, id)
}

// answerPut writes a successful PUT's answer: the new ETag (also as
// ownCloud's OC-ETag) and file id (OC-FileId, as Nextcloud gives it),
// which sync clients record without a PROPFIND.
func (h *Handler) answerPut(w http.ResponseWriter, r *http.Request, p string, meta *uploadMeta, created bool, id uint64) error {
	if meta.hasMtime {
		w.Header().Set("X-OC-Mtime", "accepted")
	}
	if fi, err := h.fs.Stat(r.Context(), p); err == nil {
		w.Header().Set("ETag", etag(fi))
		w.Header().Set("OC-ETag", etag(fi))
	}
	if id != 0 {
		if instance, err := h.ids.get(r.Context(), h.fs); err == nil {
			w.Header().Set("OC-FileId", ocID(id, instance))
		}
	}
	if created {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// commitUpload makes the received body p's content, with p's path lock
// held, if the If-Match/If-None-Match preconditions (checked again: p may
// have changed while the body arrived) and the locks allow it; otherwise
// it aborts up. With the content goes its record (content.go): committed
// to the store beside the temp file's fsync and before the rename when p
// exists (a crash between them leaves the old file, whose inode the
// record does not fit, so no stale checksum), beside the folder's fsync
// after it when p is new (a crash before leaves no record of a path with
// no file). It reports whether p was created and its file id, or the
// status of a refusal.
func (h *Handler) commitUpload(r *http.Request, p string, up *localfs.Upload, sums func() (digests, error)) (created bool, id uint64, status int, err error) {
	if status, err := h.checkPreconditions(r, p); status != 0 {
		up.Abort()
		return false, 0, status, err
	}
	touched := []string{p}
	old, statErr := h.fs.Stat(r.Context(), p)
	if errors.Is(statErr, fs.ErrNotExist) {
		touched = withParent(p) // a new member changes its collection
	}
	if st, err := h.checkWrite(r, p, scope{touched: touched}); st != 0 {
		up.Abort()
		return false, 0, st, err
	}
	var props map[xml.Name][]byte
	if statErr == nil {
		if props, err = h.props.Props(r.Context(), p); err != nil {
			up.Abort()
			return false, 0, statusOf(err), err
		}
	}
	// settle waits for the digests (checked against what the client
	// announced) and makes the record; it runs beside the fsync.
	var set map[xml.Name][]byte
	var remove []xml.Name
	change := storage.Change{Path: p, Kind: storage.ChangeUpsert} // its journal entry
	settle := func() error {
		d, err := sums()
		if err != nil {
			return err
		}
		if st, err := up.Stamp(); err == nil {
			change.Size, change.MtimeNs, change.Inode = st.Size, st.Mtime, st.Ino
		}
		set, remove, id = h.newRecord(up, old, props, d)
		return nil
	}
	wrote := false
	write := func() error {
		if set == nil {
			return h.record(r.Context(), change)
		}
		wrote = true
		return h.props.PatchProps(storage.WithChanges(r.Context(), change), p, set, remove)
	}
	if statErr == nil {
		created, err = up.CommitWith(func() error {
			if err := settle(); err != nil {
				return err
			}
			return write()
		}, nil)
		if err != nil && wrote && !up.Placed() {
			h.restoreRecord(r, p, props)
		}
	} else {
		created, err = up.CommitWith(settle, write)
	}
	if err != nil {
		return false, 0, putStatus(err), err
	}
	return created, id, 0, nil
}

// newRecord is the content record of an upload replacing old (nil when
// p is new) with the dead properties props, as the store change that
// writes it, and the id it gives the file: the id old reported, or a
// new one. It also removes the oc:checksums an older version stored. No
// change (nil) where files carry no inode.
func (h *Handler) newRecord(up *localfs.Upload, old fs.FileInfo, props map[xml.Name][]byte, sums digests) (map[xml.Name][]byte, []xml.Name, uint64) {
	st, err := up.Stamp()
	if err != nil {
		return nil, nil, 0
	}
	rec := contentRecord{id: randomID(), st: st}
	if old != nil {
		rec.id = reportedID(props, old)
		if ost, ok := localfs.StampOf(old); ok {
			rec.was = ost.Ino
		}
	}
	for a := range nAlgos {
		if h.sums.has(a) {
			rec.sums[a] = sums[a]
		}
	}
	var remove []xml.Name
	if _, ok := props[nameOCChecksums]; ok {
		remove = []xml.Name{nameOCChecksums}
	}
	return map[xml.Name][]byte{nameContent: rec.encode()}, remove, rec.id
}

// restoreRecord puts back p's record after a failed commit wrote the new
// content's (best effort: the new one does not fit the old file, so at
// worst the old checksums are not reported).
func (h *Handler) restoreRecord(r *http.Request, p string, props map[xml.Name][]byte) {
	ctx := context.WithoutCancel(r.Context())
	if v, ok := props[nameContent]; ok {
		h.props.PatchProps(ctx, p, map[xml.Name][]byte{nameContent: v}, nil)
	} else {
		h.props.PatchProps(ctx, p, nil, []xml.Name{nameContent})
	}
}

// refusePut answers the PUTs refused before anything is read: of the
// view's root (405, even when missing: a file must never take its place),
// of a URL that names a collection by its trailing slash (405 for an
// existing collection, RFC 4918 §9.7.2; else 409, as nginx answers: a file
// would take the name the client calls a folder), and with Content-Range
// (400, RFC 9110 §14.5: the body is likely a part, which would replace the
// whole file).
func (h *Handler) refusePut(r *http.Request, p string) (int, error) {
	switch _, partial := r.Header["Content-Range"]; {
	case h.isRoot(p):
		return http.StatusMethodNotAllowed, errors.New("the root is a collection")
	case strings.HasSuffix(r.URL.Path, "/"):
		if fi, err := h.fs.Stat(r.Context(), p); err == nil && fi.IsDir() {
			return http.StatusMethodNotAllowed, errors.New("PUT of a collection (RFC 4918 §9.7.2)")
		}
		return http.StatusConflict, errors.New("PUT of a collection URL (it ends in /): a file cannot be made there")
	case partial:
		return http.StatusBadRequest, errors.New("PUT with Content-Range (a partial update) is not supported")
	}
	return 0, nil
}

// upload receives body into a temp file beside p and starts computing the
// digests of the configured algorithms and of those the client announced
// (copyTrailing): it returns what gives them once done, checked against
// the announced ones by the caller (meta.checked; a mismatch is 400 and
// the temp file goes). No path lock is
// held while the body arrives, so a slow client holds up nobody (DESIGN
// §7): the parent is held shared only while the temp file is made (a
// removal of the folder in progress would otherwise meet a new entry and
// fail), and a folder moved, removed or replaced meanwhile makes the
// commit fail with 409 (localfs.ErrParentChanged).
func (h *Handler) upload(r *http.Request, p string, body io.Reader, meta *uploadMeta) (*localfs.Upload, func() (digests, error), error) {
	unshare, err := h.paths.ShareContext(r.Context(), path.Dir(p))
	if err != nil {
		return nil, nil, err
	}
	up, err := h.fs.NewUpload(p)
	unshare()
	if err != nil {
		return nil, nil, err
	}
	n, sums, err := copyTrailing(up, body, h.sums|meta.wanted())
	if err == nil {
		err = meta.verifyLength(n)
	}
	if err == nil && meta.hasMtime {
		err = up.SetModTime(meta.mtime)
	}
	if err != nil {
		up.Abort()
		return nil, nil, err
	}
	return up, sums, nil
}

// putStatus maps upload errors: a missing parent is 409 (RFC 4918 §9.7.1).
func putStatus(err error) int {
	if errors.Is(err, localfs.ErrHidden) {
		return http.StatusForbidden
	}
	if errors.Is(err, fs.ErrNotExist) {
		return http.StatusConflict
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	var de *Error
	if errors.As(err, &de) {
		return de.Status
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return http.StatusBadRequest
	}
	return statusOf(err)
}

// checkPreconditions evaluates If-Match and If-None-Match (RFC 9110 §13.1)
// against the resource's current strong ETag, for writes.
func (h *Handler) checkPreconditions(r *http.Request, p string) (int, error) {
	match, noneMatch := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	if match == "" && noneMatch == "" {
		return 0, nil
	}
	fi, err := h.fs.Stat(r.Context(), p)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return statusOf(err), err
	}
	current := ""
	if exists {
		if current, err = h.resourceETag(r.Context(), p, fi); err != nil {
			return statusOf(err), err
		}
	}
	if match != "" && !etagListMatches(match, current, exists) {
		return http.StatusPreconditionFailed, errors.New("If-Match does not match")
	}
	if noneMatch != "" && etagListMatches(noneMatch, current, exists) {
		return http.StatusPreconditionFailed, errors.New("If-None-Match matches")
	}
	return 0, nil
}

// etagListMatches reports whether a comma-separated entity-tag list (or
// "*") matches current using strong comparison.
func etagListMatches(list, current string, exists bool) bool {
	if !exists {
		return false
	}
	for _, t := range splitETags(list) {
		if t == "*" || t == current {
			return true
		}
	}
	return false
}

func splitETags(list string) []string {
	var out []string
	for i := 0; i < len(list); {
		for i < len(list) && (list[i] == ' ' || list[i] == ',' || list[i] == '\t') {
			i++
		}
		start := i
		inQuote := false
		for i < len(list) && (inQuote || list[i] != ',') {
			if list[i] == '"' {
				inQuote = !inQuote
			}
			i++
		}
		if t := strings.TrimSpace(list[start:i]); t != "" {
			out = append(out, t)
		}
	}
	return out
}

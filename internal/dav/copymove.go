package dav

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/atomdav/atomdav/internal/access"
)

// handleDelete serves DELETE (RFC 4918 §9.6) itself so the resource's dead
// properties go with it, in the same path-locked step.
func (h *Handler) handleDelete(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	if d, err := parseDepth(r.Header.Get("Depth")); err != nil || d != "infinity" {
		return http.StatusBadRequest, errors.New("DELETE takes Depth: infinity only")
	}
	if h.isRoot(p) {
		return http.StatusForbidden, errors.New("the root cannot be deleted")
	}
	if st, err := h.checkTree(h.named(p), p, access.Write); st != 0 {
		return st, err
	}
	unlock, err := h.paths.LockContext(r.Context(), p)
	if err != nil {
		return http.StatusServiceUnavailable, err
	}
	defer unlock()
	if _, err := h.fs.Stat(r.Context(), p); err != nil {
		return statusOf(err), err
	}
	if st, err := h.checkWrite(r, p, scope{touched: withParent(p), trees: []string{p}}); st != 0 {
		return st, err
	}
	defer h.enter(r.Context())()
	if err := h.fs.RemoveAll(r.Context(), p); err != nil {
		return statusOf(err), err
	}
	if err := h.locks.DeleteLocksUnder(r.Context(), p); err != nil {
		return statusOf(err), err
	}
	w.WriteHeader(http.StatusNoContent)
	return 0, nil
}

// copyMoveRequest is a COPY or MOVE with its headers checked.
type copyMoveRequest struct {
	src, dst  string
	askedDst  string // the resource path Destination named (dst is its Real name)
	move      bool
	infinite  bool
	overwrite bool
}

// handleCopyMove serves COPY and MOVE (RFC 4918 §9.8, §9.9) itself:
// x/net/webdav's MOVE deletes the destination and then renames (two steps
// where one rename does for a file), and its COPY of a collection stops at
// the first failing member and drops the collection's properties.
func (h *Handler) handleCopyMove(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	req, err := h.parseCopyMove(r, p)
	if err != nil {
		return statusOf(err), err
	}
	if st, err := h.checkCopyMove(req); st != 0 {
		return st, err
	}
	if _, err := parseUploadMeta(r); err != nil {
		return statusOf(err), err // a bad X-OC-Mtime refuses before any change
	}
	unlock, err := h.paths.LockContext(r.Context(), req.src, req.dst)
	if err != nil {
		return http.StatusServiceUnavailable, err
	}
	defer unlock()
	if _, err := h.fs.Stat(r.Context(), req.src); err != nil {
		return statusOf(err), err
	}
	// parseCopyMove compared the names; a symlink can still make one lie
	// inside the other ("/alink/x" inside "/a" when alink -> a).
	nested, err := h.fs.Nested(req.src, req.dst, req.move)
	if err != nil {
		return statusOf(err), err
	}
	if nested {
		return http.StatusForbidden, errors.New("the destination is the source or inside it, or contains it, through a symlink")
	}
	if !req.move && req.infinite {
		if st, err := h.checkLinks(r.Context(), req.src); st != 0 {
			return st, err
		}
	}
	sc := scope{touched: withParent(req.dst), trees: []string{req.dst}}
	if req.move {
		sc.touched = append(sc.touched, withParent(req.src)...)
		sc.trees = append(sc.trees, req.src)
	}
	if st, err := h.checkWrite(r, req.src, sc); st != 0 {
		return st, err
	}
	defer h.enter(r.Context())()
	existed, status, err := h.prepareDestination(r, req)
	if status != 0 {
		return status, err
	}
	if req.move {
		err = h.fs.Rename(r.Context(), req.src, req.dst)
	} else {
		var failed map[string]error
		failed, err = h.fs.CopyBeneath(r.Context(), req.src, req.dst, req.infinite, h.top())
		if err == nil && len(failed) > 0 {
			if err := h.restampCopy(r.Context(), req.src, req.dst); err != nil {
				return statusOf(err), err
			}
			return 0, h.writeFailures(w, failed)
		}
	}
	if err != nil {
		return statusOf(err), err
	}
	if err := h.dropLocks(r, req, existed); err != nil {
		return statusOf(err), err
	}
	if err := h.applyMtimeStamped(w, r, req); err != nil {
		return statusOf(err), err
	}
	if existed {
		w.WriteHeader(http.StatusNoContent)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	return 0, nil
}

// applyMtimeStamped is applyMtime keeping the content records right: a
// moved file's record follows the new mtime (its digests still hold), and
// a copy's files get records of their own (restampCopy).
func (h *Handler) applyMtimeStamped(w http.ResponseWriter, r *http.Request, req *copyMoveRequest) error {
	var before fs.FileInfo
	if req.move && r.Header.Get("X-OC-Mtime") != "" {
		if fi, err := h.fs.Stat(r.Context(), req.dst); err == nil && !fi.IsDir() {
			before = fi
		}
	}
	if err := h.applyMtime(w, r, req.dst); err != nil {
		return err
	}
	if !req.move {
		return h.restampCopy(r.Context(), req.src, req.dst)
	}
	if before == nil {
		return nil
	}
	now, err := h.fs.Stat(r.Context(), req.dst)
	if err != nil {
		return err
	}
	dead, err := h.props.Props(r.Context(), req.dst)
	if err != nil {
		return err
	}
	if _, ok := validSums(dead, before); !ok {
		return nil // no record, or one that did not fit: nothing to keep
	}
	return h.applyRestamp(r.Context(), restamp{dst: req.dst, src: before, now: now, dead: dead})
}

// dropLocks removes the locks of resources a COPY or MOVE did away with:
// the source of a MOVE, and a destination it overwrote (RFC 4918 §9.9.3:
// overwriting deletes the destination first). Locks do not move or copy.
func (h *Handler) dropLocks(r *http.Request, req *copyMoveRequest, existed bool) error {
	if req.move {
		if err := h.locks.DeleteLocksUnder(r.Context(), req.src); err != nil {
			return err
		}
	}
	if existed {
		return h.locks.DeleteLocksUnder(r.Context(), req.dst)
	}
	return nil
}

// parseCopyMove checks Destination, Depth and Overwrite.
func (h *Handler) parseCopyMove(r *http.Request, p string) (*copyMoveRequest, error) {
	req := &copyMoveRequest{src: p, move: r.Method == "MOVE", infinite: true, overwrite: true}
	u, err := url.Parse(r.Header.Get("Destination"))
	if err != nil || r.Header.Get("Destination") == "" || (u.Host == "" && !strings.HasPrefix(u.Path, "/")) {
		return nil, errorf(http.StatusBadRequest, "missing or malformed Destination header")
	}
	if u.Host != "" && u.Host != r.Host {
		return nil, errorf(http.StatusBadGateway, "Destination is on another server")
	}
	if req.askedDst, err = h.namePath(u.Path); err == nil {
		req.dst, err = h.realPath(req.askedDst, false)
	}
	if err != nil {
		switch statusOf(err) {
		case http.StatusForbidden: // a symlink leads out of the view
			return nil, err
		case http.StatusBadRequest: // NUL or a control character
			return nil, errorf(http.StatusBadRequest, "malformed Destination: %w", err)
		}
		return nil, errorf(http.StatusBadGateway, "Destination is outside this share")
	}
	if h.fs.IsHidden(req.dst) {
		return nil, errorf(http.StatusForbidden, "reserved destination name (state folder or temp file)")
	}
	switch d, _ := parseDepth(r.Header.Get("Depth")); { // "" when malformed
	case d == "infinity":
	case d == "0" && !req.move:
		req.infinite = false
	default:
		return nil, errorf(http.StatusBadRequest, "bad Depth %q for %s", r.Header.Get("Depth"), r.Method)
	}
	switch r.Header.Get("Overwrite") {
	case "", "T", "t":
	case "F", "f":
		req.overwrite = false
	default:
		return nil, errorf(http.StatusBadRequest, "Overwrite must be T or F")
	}
	switch {
	case req.src == req.dst:
		return nil, errorf(http.StatusForbidden, "source and destination are the same")
	case h.isRoot(req.src) && req.move:
		return nil, errorf(http.StatusForbidden, "the root cannot be moved")
	case h.isRoot(req.dst):
		return nil, errorf(http.StatusForbidden, "the root cannot be overwritten")
	case h.isRoot(req.src) || within(req.dst, req.src):
		return nil, errorf(http.StatusForbidden, "destination is inside the source")
	case within(req.src, req.dst):
		return nil, errorf(http.StatusForbidden, "destination is an ancestor of the source")
	}
	return req, nil
}

// checkCopyMove applies the view's rules (permissions.go) to a COPY or
// MOVE whose source serve has let through: a MOVE takes its source's whole
// subtree, which must be writable; a COPY reads it, and refuses rather
// than copy a path hidden from the principal; the destination, and all
// that an overwrite would remove below it, must be writable.
func (h *Handler) checkCopyMove(req *copyMoveRequest) (int, error) {
	switch {
	case req.move:
		if st, err := h.checkTree(h.named(req.src), req.src, access.Write); st != 0 {
			return st, err
		}
	case req.infinite:
		if st, err := h.checkTree(h.named(req.src), req.src, access.Read); st != 0 {
			return st, err
		}
	}
	return h.checkDestination(req.askedDst, req.dst, true)
}

// prepareDestination checks the destination's parent and, for an existing
// destination, honours Overwrite (RFC 4918 §10.6). An existing file under a
// MOVE of a file is left for the one rename to replace.
func (h *Handler) prepareDestination(r *http.Request, req *copyMoveRequest) (existed bool, status int, err error) {
	parent, err := h.fs.Stat(r.Context(), path.Dir(req.dst))
	if (err == nil && !parent.IsDir()) || errors.Is(err, fs.ErrNotExist) {
		return false, http.StatusConflict, errors.New("the destination's parent collection does not exist")
	}
	if err != nil {
		return false, statusOf(err), err
	}
	dfi, err := h.fs.Stat(r.Context(), req.dst)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, statusOf(err), err
	}
	if !req.overwrite {
		return true, http.StatusPreconditionFailed, errors.New("destination exists and Overwrite is F")
	}
	sfi, err := h.fs.Stat(r.Context(), req.src)
	if err != nil {
		return true, statusOf(err), err
	}
	if req.move && !sfi.IsDir() && !dfi.IsDir() {
		return true, 0, nil
	}
	if err := h.fs.RemoveAll(r.Context(), req.dst); err != nil {
		return true, statusOf(err), err
	}
	return true, 0, nil
}

// writeFailures answers a partly failed COPY with a 207 naming each member
// that could not be copied (RFC 4918 §9.8.5).
func (h *Handler) writeFailures(w http.ResponseWriter, failed map[string]error) error {
	paths := make([]string, 0, len(failed))
	for p := range failed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	mw := newMultistatus(w)
	mw.begin()
	for _, p := range paths {
		st := statusOf(failed[p])
		fmt.Fprintf(mw.bw, "<D:response><D:href>%s</D:href><D:status>HTTP/1.1 %d %s</D:status></D:response>",
			escape(h.href(p, false)), st, http.StatusText(st))
	}
	return mw.close()
}

// within reports whether p lies strictly inside dir.
func within(p, dir string) bool {
	return dir == "/" && p != "/" || strings.HasPrefix(p, dir+"/")
}

package dav

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
)

// handleMkcol serves MKCOL (RFC 4918 §9.3) itself so that it answers to the
// durable locks and the full If header like every other write.
func (h *Handler) handleMkcol(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	if r.ContentLength > 0 || len(r.TransferEncoding) > 0 {
		return http.StatusUnsupportedMediaType, errors.New("MKCOL with a body is not supported")
	}
	unlock, err := h.paths.LockContext(r.Context(), p)
	if err != nil {
		return http.StatusServiceUnavailable, err
	}
	defer unlock()
	if _, err := h.fs.Stat(r.Context(), p); err == nil {
		return http.StatusMethodNotAllowed, errors.New("the resource exists")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return statusOf(err), err
	}
	parent, err := h.fs.Stat(r.Context(), path.Dir(p))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !parent.IsDir()) {
		return http.StatusConflict, errors.New("the parent collection does not exist")
	}
	if err != nil {
		return statusOf(err), err
	}
	if st, err := h.checkWrite(r, p, scope{touched: withParent(p)}); st != 0 {
		return st, err
	}
	defer h.enter(r.Context())()
	if err := h.record(r.Context(), upsertOf(p, nil, true)); err != nil {
		return statusOf(err), err
	}
	if err := h.fs.Mkdir(r.Context(), p, 0o755); err != nil {
		h.restate(r.Context(), p, true)
		return statusOf(err), err
	}
	w.WriteHeader(http.StatusCreated)
	return 0, nil
}

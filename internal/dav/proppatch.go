package dav

import (
	"errors"
	"net/http"

	"github.com/atomdav/atomdav/proppatch"
	"github.com/atomdav/atomdav/storage"
)

// handleProppatch serves PROPPATCH (RFC 4918 §9.2) through the proppatch
// engine rather than x/net/webdav, whose parser re-encodes values and loses
// namespaces and xml:lang, and which applies instructions one by one. Here
// all instructions commit in one durable transaction or none does.
//
// The body is read and parsed before the path lock is taken, so a slow
// client never holds up other writers.
func (h *Handler) handleProppatch(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	if r.ContentLength > h.cfg.MaxXMLBytes {
		return http.StatusRequestEntityTooLarge, errors.New("PROPPATCH body too large")
	}
	update, err := proppatch.ParseWith(http.MaxBytesReader(w, r.Body, h.cfg.MaxXMLBytes), proppatch.ParseOptions{MaxDepth: h.cfg.MaxXMLDepth})
	if err != nil {
		var pe *proppatch.Error
		if errors.As(err, &pe) {
			return pe.Status, err
		}
		return http.StatusBadRequest, err
	}
	unlock, err := h.paths.LockContext(r.Context(), p)
	if err != nil {
		return http.StatusServiceUnavailable, err
	}
	defer unlock()
	fi, err := h.fs.Stat(r.Context(), p)
	if err != nil {
		return statusOf(err), err
	}
	if st, err := h.checkWrite(r, p, scope{touched: []string{p}}); st != 0 {
		return st, err
	}
	defer h.enter(r.Context())()
	ctx := storage.WithChanges(r.Context(), upsertOf(p, fi, fi.IsDir()))
	result, err := h.engine.Apply(ctx, p, update)
	if errors.Is(err, storage.ErrInvalidName) {
		// RFC 4918 §9.2.1: the server cannot record the property; the
		// name is the client's, so it is no failure of the server.
		return http.StatusInsufficientStorage, &Error{Status: http.StatusInsufficientStorage, Err: err,
			Public: "a property name is too long to be stored with this path; nothing was changed"}
	}
	if err != nil {
		return statusOf(err), err
	}
	if h.cfg.OnProppatch != nil {
		h.cfg.OnProppatch(result.Committed())
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	return 0, result.WriteMultiStatus(w, h.href(p, fi.IsDir()))
}

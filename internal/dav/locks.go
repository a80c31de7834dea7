package dav

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/webdav"

	"github.com/atomdav/atomdav/internal/ifheader"
)

// confirmLocks checks the WebDAV locks on src (may be empty) and dst for a
// write, honouring the If header (RFC 4918 §10.4). The caller holds the
// path locks of src and dst, so a probe lock taken here can only collide
// with a real lock held by a client, never with another request.
//
// With tree set, a lock on any member of src counts too (DELETE and MOVE
// of a collection change its members).
func (h *Handler) confirmLocks(r *http.Request, src, dst string, tree bool) (release func(), status int, err error) {
	hdr := r.Header.Get("If")
	if hdr == "" {
		return h.probeLocks(src, dst, tree)
	}
	lists, err := ifheader.Parse(hdr)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	for _, l := range lists {
		lsrc := src
		if l.Resource != "" {
			u, err := url.Parse(l.Resource)
			if err != nil {
				return nil, http.StatusBadRequest, err
			}
			if lsrc, err = h.resourcePath(u.Path); err != nil {
				continue
			}
		}
		conds := make([]webdav.Condition, len(l.Conditions))
		for i, c := range l.Conditions {
			conds[i] = webdav.Condition{Not: c.Not, Token: c.Token, ETag: c.ETag}
		}
		release, err := h.locks.Confirm(time.Now(), lsrc, dst, conds...)
		if errors.Is(err, webdav.ErrConfirmationFailed) {
			continue
		}
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		return release, 0, nil
	}
	// RFC 4918 §10.4.1: when all state lists fail, 412.
	return nil, http.StatusPreconditionFailed, errors.New("no If list matched")
}

// probeLocks answers 423 when a client's lock covers src or dst (or, with
// tree, any member of src).
func (h *Handler) probeLocks(src, dst string, tree bool) (func(), int, error) {
	var tokens []string
	release := func() {
		for _, t := range tokens {
			h.locks.Unlock(time.Now(), t)
		}
	}
	for i, p := range []string{src, dst} {
		if p == "" {
			continue
		}
		zero := !(i == 0 && tree)
		tok, err := h.locks.Create(time.Now(), webdav.LockDetails{Root: p, Duration: -1, ZeroDepth: zero})
		if errors.Is(err, webdav.ErrLocked) {
			release()
			return nil, http.StatusLocked, errors.New("the resource is locked")
		}
		if err != nil {
			release()
			return nil, http.StatusInternalServerError, err
		}
		tokens = append(tokens, tok)
	}
	return release, 0, nil
}

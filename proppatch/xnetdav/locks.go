package xnetdav

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/webdav"

	"github.com/atomdav/atomdav/ifheader"
)

// maxIfConditions bounds the conditions of an If header the LockSystem is
// asked to confirm (ifheader.ParseLimit).
const maxIfConditions = 64

// confirmLocks checks the request against the LockSystem the way
// webdav.Handler does for its own methods (RFC 4918 §10.4): with no If
// header, a temporary zero-depth lock that fails with 423 when another
// client holds one; with an If header, the first list whose conditions the
// LockSystem confirms, or 412. release must be called once the change is
// done.
func (h *Handler) confirmLocks(r *http.Request, name string) (release func(), status int, err error) {
	ls := h.WebDAV.LockSystem
	hdr := r.Header.Get("If")
	if hdr == "" {
		now := time.Now()
		token, err := ls.Create(now, webdav.LockDetails{Root: name, Duration: -1, ZeroDepth: true})
		if errors.Is(err, webdav.ErrLocked) {
			return nil, http.StatusLocked, err
		}
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		return func() { _ = ls.Unlock(now, token) }, 0, nil
	}
	lists, err := ifheader.ParseLimit(hdr, maxIfConditions)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	for _, l := range lists {
		res := name
		if l.Resource != "" {
			u, err := url.Parse(l.Resource)
			if err != nil || u.Host != r.Host {
				continue
			}
			if res, status, err = h.stripPrefix(u.Path); err != nil {
				return nil, status, err
			}
		}
		release, err := ls.Confirm(time.Now(), res, "", conditions(l.Conditions)...)
		if errors.Is(err, webdav.ErrConfirmationFailed) {
			continue
		}
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		return release, 0, nil
	}
	return nil, http.StatusPreconditionFailed, webdav.ErrLocked
}

// conditions converts one If list to the LockSystem's conditions.
func conditions(cs []ifheader.Condition) []webdav.Condition {
	out := make([]webdav.Condition, len(cs))
	for i, c := range cs {
		out[i] = webdav.Condition{Not: c.Not, Token: c.Token, ETag: c.ETag}
	}
	return out
}

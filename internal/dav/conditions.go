package dav

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"

	"github.com/atomdav/atomdav/ifheader"
	"github.com/atomdav/atomdav/storage"
)

// scope says which resources a write changes, for lock checks.
type scope struct {
	// touched are changed themselves: a lock covering one of them must be
	// submitted (RFC 4918 §7.1). A collection gaining or losing a member
	// is touched too: its locks protect its membership (§7.4).
	touched []string
	// trees also have every member changed (DELETE, the source of a MOVE):
	// a lock rooted anywhere below must be submitted too.
	trees []string
}

// checkWrite evaluates the If header (RFC 4918 §10.4) and the locks on what
// a write touches. It returns 0 when the write may go on, else the status:
// 400 for a malformed header or one of more than Config.MaxIfConditions
// conditions, 412 when no If list holds, 423 when a lock whose token was
// not submitted protects a touched resource. Callers hold the path locks
// of everything in sc, so the answer stays true until they are done.
func (h *Handler) checkWrite(r *http.Request, reqPath string, sc scope) (int, error) {
	var submitted map[string]bool
	if hdr := r.Header.Get("If"); hdr != "" {
		lists, err := ifheader.ParseLimit(hdr, h.cfg.MaxIfConditions)
		if err != nil {
			return http.StatusBadRequest, ifError(err, h.cfg.MaxIfConditions)
		}
		ok, err := h.evalIf(r.Context(), reqPath, lists)
		if err != nil {
			return statusOf(err), err
		}
		if !ok {
			return http.StatusPreconditionFailed, errors.New("no list of the If header holds")
		}
		submitted = submittedTokens(lists)
	}
	for _, p := range sc.touched {
		if st, err := h.requireCovering(r.Context(), p, submitted); st != 0 {
			return st, err
		}
	}
	for _, p := range sc.trees {
		if st, err := h.requireUnder(r.Context(), p, submitted); st != 0 {
			return st, err
		}
	}
	return 0, nil
}

// ifError is the 400 refusal of an If header, naming the limit it passed.
func ifError(err error, max int) error {
	if errors.Is(err, ifheader.ErrTooMany) {
		return &Error{Status: http.StatusBadRequest, Err: err,
			Public: fmt.Sprintf("the If header has more than %d conditions (max-if-conditions)", max)}
	}
	return err
}

// evalIf reports whether any list of the If header holds. Each resource
// the lists name is read once (its locks, its ETag), however many lists
// name it; one the view's rules hide from the principal reads as absent.
func (h *Handler) evalIf(ctx context.Context, reqPath string, lists []ifheader.List) (bool, error) {
	states := map[string]*ifState{}
	for _, l := range lists {
		res := reqPath
		if l.Resource != "" {
			u, err := url.Parse(l.Resource)
			if err != nil {
				continue
			}
			if res, err = h.resourcePath(u.Path, true); err != nil {
				continue // a resource outside this share: the list is false
			}
		}
		st := states[res]
		if st == nil {
			st = &ifState{res: res}
			// A resource the rules hide is evaluated as absent: no
			// locks, no ETag, whatever is there.
			st.loaded, st.stated = !h.mayRead(res), !h.mayRead(res)
			states[res] = st
		}
		ok, err := h.evalList(ctx, st, l.Conditions)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// ifState is what the conditions of an If header are evaluated against for
// one resource, each part read when a condition first needs it.
type ifState struct {
	res            string
	locks          []storage.Lock
	tag            string // "" when the resource does not exist
	loaded, stated bool
}

// evalList reports whether every condition of one list holds for st.res: a
// state token names a live lock covering it, an entity tag equals its
// current strong ETag; Not negates. A state token describes the resource's
// state whoever holds the lock, so another principal's token can make a
// list hold; it still unlocks nothing (see usable), so a write relying on
// it gets 423.
func (h *Handler) evalList(ctx context.Context, st *ifState, conds []ifheader.Condition) (bool, error) {
	for _, c := range conds {
		var holds bool
		if c.Token != "" {
			if !st.loaded {
				var err error
				if st.locks, err = h.locks.Locks(ctx, st.res); err != nil {
					return false, err
				}
				st.loaded = true
			}
			for _, l := range st.locks {
				holds = holds || (l.Token == c.Token && l.Covers(st.res))
			}
		} else {
			if !st.stated {
				fi, err := h.fs.Stat(ctx, st.res)
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return false, err
				}
				if err == nil {
					if st.tag, err = h.resourceETag(ctx, st.res, fi); err != nil {
						return false, err
					}
				}
				st.stated = true
			}
			holds = st.tag != "" && c.ETag == st.tag
		}
		if holds == c.Not {
			return false, nil
		}
	}
	return true, nil
}

// submittedTokens are the lock tokens a request names in its If header.
func submittedTokens(lists []ifheader.List) map[string]bool {
	tokens := map[string]bool{}
	for _, l := range lists {
		for _, c := range l.Conditions {
			if c.Token != "" && !c.Not {
				tokens[c.Token] = true
			}
		}
	}
	return tokens
}

// submittedTokensOf are the tokens of r's If header (none if malformed).
func submittedTokensOf(r *http.Request) map[string]bool {
	lists, err := ifheader.Parse(r.Header.Get("If"))
	if err != nil {
		return nil
	}
	return submittedTokens(lists)
}

// usable reports whether the request submitted l's token and may use it:
// a lock token is usable only by the principal that created it (RFC 4918
// §6.4), so another principal's token, even known, unlocks nothing.
func (h *Handler) usable(l storage.Lock, submitted map[string]bool) bool {
	return submitted[l.Token] && h.mine(l)
}

// mine reports whether this view's principal took l.
func (h *Handler) mine(l storage.Lock) bool {
	return l.Principal == h.principal
}

// inView reports whether l is rooted in this view (at its root or below).
// A lock rooted above is reported and enforced in the view, but never
// refreshed or removed through it: that would change what the view's user
// cannot see.
func (h *Handler) inView(l storage.Lock) bool {
	top := h.top()
	return h.root == "" || l.Root == h.root || within(l.Root, h.root) || l.Root == top || within(l.Root, top)
}

// requireCovering answers 423 unless p is unlocked or the request
// submitted, and may use, the token of a lock covering it (for shared
// locks, one of them is enough).
func (h *Handler) requireCovering(ctx context.Context, p string, submitted map[string]bool) (int, error) {
	locks, err := h.locks.Locks(ctx, p)
	if err != nil {
		return statusOf(err), err
	}
	var blocking *storage.Lock
	for i, l := range locks {
		if !l.Covers(p) {
			continue
		}
		if h.usable(l, submitted) {
			return 0, nil
		}
		if blocking == nil {
			blocking = &locks[i]
		}
	}
	if blocking != nil {
		return h.locked(blocking.Root)
	}
	return 0, nil
}

// requireUnder answers 423 unless every lock rooted below p was submitted
// by its principal.
func (h *Handler) requireUnder(ctx context.Context, p string, submitted map[string]bool) (int, error) {
	locks, err := h.locks.Locks(ctx, p)
	if err != nil {
		return statusOf(err), err
	}
	for _, l := range locks {
		if l.Root != p && within(l.Root, p) && !h.usable(l, submitted) {
			return h.locked(l.Root)
		}
	}
	return 0, nil
}

// locked is the 423 answer naming the lock's root (RFC 4918 §16
// lock-token-submitted).
func (h *Handler) locked(root string) (int, error) {
	return http.StatusLocked, &Error{Status: http.StatusLocked, Condition: "lock-token-submitted",
		Href: h.href(root, false), Err: fmt.Errorf("%s is locked", root)}
}

// withParent is p and the collection holding it, for writes that create or
// remove p.
func withParent(p string) []string {
	if p == "/" {
		return []string{p}
	}
	return []string{p, path.Dir(p)}
}

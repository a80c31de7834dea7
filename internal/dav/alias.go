package dav

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
)

// Symlinks inside the share give a resource more than one name: with
// alink -> a, "/alink/x" is "/a/x". Path locks, WebDAV locks and dead
// properties are keyed by name, so every request works on the resource's
// Real name (localfs.FS.Real): a lock of "/a" then holds against a write
// to "/alink/x", and a property set through one name is seen through the
// other. The client still sees the names it used (href maps them back).
// And a view's root is a jail like the share's: a name whose Real name
// lies outside it is refused with 403, as a symlink leading out of the
// share is.

// errOutsideView refuses a name that a symlink leads out of the view.
var errOutsideView = errors.New("the path leads outside the user's folder (through a symlink)")

// alias is a name a client used and the Real name it stands for.
type alias struct{ asked, real string }

// followsLast reports whether method acts on what a symlink as the last
// component of its request URI leads to. DELETE and MOVE act on the
// symlink itself: they remove or rename a binding (RFC 5842 §2),
// never the resource that other names still lead to. The destination of
// a COPY or MOVE is never followed either: an existing one is replaced.
func followsLast(method string) bool {
	return method != "DELETE" && method != "MOVE"
}

// realPath is the Real name of the resource path p, refused (403) when it
// lies outside the view's root. A name without symlinks on the way is its
// own Real name and lies in the root by construction, so only names with
// a symlink pay for resolving the root too. Where the last component is
// not followed, a symlink there that leads out of the view is refused all
// the same, as the share's jail refuses one leading out of the share: a
// DELETE, MOVE or Destination of it would otherwise tell whether what it
// leads to exists.
func (h *Handler) realPath(p string, followLast bool) (string, error) {
	real, err := h.fs.Real(p, followLast)
	if err != nil {
		return "", err
	}
	if !followLast && h.root != "" {
		target, err := h.fs.Real(p, true)
		if err != nil {
			return "", err
		}
		if target != p {
			if err := h.checkBeneath(target); err != nil {
				return "", err
			}
		}
	}
	if real == p {
		return real, nil
	}
	return real, h.checkBeneath(real)
}

// realPathStat is realPath(p, true) and, where resolving the name gave
// it at no extra cost (no symlink on the way), the resource's Stat; else
// fi is nil and the caller stats.
func (h *Handler) realPathStat(p string) (string, fs.FileInfo, error) {
	real, fi, err := h.fs.RealStat(p)
	switch {
	case err != nil:
		return "", nil, err
	case real == p:
		return real, fi, nil
	}
	return real, nil, h.checkBeneath(real)
}

// checkBeneath refuses (403) the Real name real unless it lies in the
// view's root, whose Real name it resolves.
func (h *Handler) checkBeneath(real string) error {
	if h.root == "" {
		return nil
	}
	top, err := h.fs.Real(h.root, true)
	if err != nil {
		return err
	}
	if real != top && !within(real, top) {
		return &Error{Status: http.StatusForbidden, Err: errOutsideView}
	}
	return nil
}

// throughSymlink is h for a GET of p that opened the resource real (see
// handleGet): refused outside the view, absent where the rules hide real,
// and with hrefs by p.
func (h *Handler) throughSymlink(p, real string) (*Handler, error) {
	if err := h.checkBeneath(real); err != nil {
		return nil, err
	}
	if !h.mayRead(real) {
		return nil, &Error{Status: http.StatusNotFound, Err: absent("GET", p)}
	}
	return h.aliased(p, real), nil
}

// aliased is h for one request whose URI named the resource real as
// asked: hrefs under real are written under asked. When the view's root
// itself is reached through a symlink, its Real name (base) is an alias
// too, for names outside real (lock roots, a Destination).
func (h *Handler) aliased(asked, real string) *Handler {
	v := *h
	v.req = alias{asked, real}
	if h.root != "" {
		if top, err := h.fs.Real(h.root, true); err == nil && top != h.root {
			v.base = top
		}
	}
	return &v
}

// nested is h for a PROPFIND Depth: infinity that walks into the folder
// real through child, a symlink in the folder it is walking.
func (h *Handler) nested(child, real string) *Handler {
	v := *h
	v.nest = append(h.nest[:len(h.nest):len(h.nest)], alias{child, real})
	return &v
}

// walking reports whether the folder real is p, or above p or a folder
// the walk left through a symlink: walking into it again would not end.
func (h *Handler) walking(real, p string) bool {
	for _, a := range h.nest {
		if d := path.Dir(a.asked); d == real || within(d, real) {
			return true
		}
	}
	return p == real || within(p, real)
}

// named is the name the client used for the resource path p: p itself
// unless it lies under an alias of this request.
func (h *Handler) named(p string) string {
	for i := len(h.nest) - 1; i >= 0; i-- {
		p, _ = h.nest[i].rebase(p)
	}
	if q, ok := h.req.rebase(p); ok {
		return q
	}
	if h.base != "" {
		p, _ = alias{h.root, h.base}.rebase(p)
	}
	return p
}

// rebase is p named through a: under a.asked when it lies under a.real.
func (a alias) rebase(p string) (string, bool) {
	switch {
	case a.real == "":
		return p, false
	case p == a.real:
		return a.asked, true
	case a.real == "/":
		return path.Join(a.asked, p), true
	case within(p, a.real):
		return path.Join(a.asked, p[len(a.real):]), true
	}
	return p, false
}

// top is the view's root by its Real name when a request found it to be
// reached through a symlink, else by its name.
func (h *Handler) top() string {
	switch {
	case h.base != "":
		return h.base
	case h.root == "":
		return "/"
	}
	return h.fs.Canonical(h.root)
}

package dav

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"syscall"

	"github.com/atomdav/atomdav/internal/access"
)

// Per-path rules (internal/access) refine what a view's principal may do:
// a path whose level is access.None behaves as absent (404 for every
// method, left out of listings), one at access.Read refuses the write
// methods (403), and an operation on a whole subtree (COPY, MOVE, DELETE,
// LOCK Depth: infinity) is refused (403) before anything changes when a
// rule below its root allows less than it needs. A request is judged by
// the name it used and by the Real name that name leads to (a symlink
// leads nowhere a rule closes).

// errReadOnlyPath refuses a write where the rules allow reading only.
var errReadOnlyPath = errors.New("read-only access")

// errCrossesRule refuses an operation on a subtree that holds a path the
// principal may not change (or, for COPY, read).
var errCrossesRule = errors.New("the operation would cross a path you may not change")

// Restricted returns a copy of h that applies rules (nil: none) on top of
// its default access (Scoped's readOnly).
func (h *Handler) Restricted(rules *access.Table) *Handler {
	v := *h
	v.rules = rules
	return &v
}

// level is what h's principal may do with the resource path p: the less
// of what the rules say of p and of the name the client used for it (see
// named), when p is a Real name reached through a symlink, such as the
// members of a user's root that is one.
func (h *Handler) level(p string) access.Level {
	def := access.Write
	if h.readOnly {
		def = access.Read
	}
	l := h.rules.Level(p, def)
	if h.rules == nil {
		return l
	}
	if n := h.named(p); n != p {
		l = min(l, h.rules.Level(n, def))
	}
	return l
}

// mayRead reports whether h's principal may see and read p.
func (h *Handler) mayRead(p string) bool { return h.level(p) >= access.Read }

// mayWrite reports whether h's principal may change p (create, write,
// delete it, set its properties, lock it).
func (h *Handler) mayWrite(p string) bool { return h.level(p) == access.Write }

// mayWriteTree is mayWrite of p and of everything below it: it may be
// deleted, moved or overwritten.
func (h *Handler) mayWriteTree(p string) bool {
	return h.mayWrite(p) && !h.rules.Restricted(p, access.Write)
}

// writesSomewhere reports whether h's principal may write anywhere.
func (h *Handler) writesSomewhere() bool { return !h.readOnly || h.rules.Grants() }

// permit judges a request by the rules: asked is the resource path the
// URL named, p its Real name. A path the principal may not read is 404,
// with the body of a real one (see absent); a write method where they may
// only read is 403. A COPY needs only read access to its source here,
// when the principal may write somewhere; handleCopyMove checks the rest.
func (h *Handler) permit(method, asked, p string) (int, error) {
	l := h.level(p)
	if asked != p {
		l = min(l, h.level(asked))
	}
	switch {
	case l == access.None:
		return http.StatusNotFound, absent(method, asked)
	case l == access.Read && isWrite(method) && (method != "COPY" || !h.writesSomewhere()):
		return http.StatusForbidden, errReadOnlyPath
	}
	return 0, nil
}

// absent is the error of a request for a path the rules hide: the one a
// GET or any other method of a missing path gives, so the answer tells
// nothing of what is there.
func absent(method, p string) error {
	op := "stat"
	if method == "GET" || method == "HEAD" {
		op = "open"
	}
	return &fs.PathError{Op: op, Path: p, Err: syscall.ENOENT}
}

// checkTree refuses (403) an operation on the subtree of the resource
// path p (and of asked, the name the client used) that needs need
// everywhere below it, when a rule there allows less.
func (h *Handler) checkTree(asked, p string, need access.Level) (int, error) {
	if h.rules.Restricted(p, need) || asked != p && h.rules.Restricted(asked, need) {
		return http.StatusForbidden, errCrossesRule
	}
	return 0, nil
}

// checkLinks refuses (403) a COPY of the collection p (held by the path
// lock) when a symlink inside it leads to a path the rules hide, or to a
// folder holding one: the copy follows symlinks and would make a
// readable copy of it. It walks the tree only where some rule is None,
// each folder once.
func (h *Handler) checkLinks(ctx context.Context, p string) (int, error) {
	if !h.rules.Hides() {
		return 0, nil
	}
	seen := map[string]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		if seen[dir] || ctx.Err() != nil {
			return ctx.Err()
		}
		seen[dir] = true
		entries, err := h.fs.ReadDir(dir)
		if err != nil {
			return nil // not a folder, or gone: the copy reports it
		}
		for _, e := range entries {
			child := path.Join(dir, e.Name())
			switch {
			case e.Type()&fs.ModeSymlink != 0:
				real, err := h.realPath(child, true)
				if err != nil {
					continue // leading out or nowhere: the copy fails it
				}
				if !h.mayRead(real) || h.rules.Restricted(real, access.Read) {
					return errCrossesRule
				}
				if err := walk(real); err != nil {
					return err
				}
			case e.IsDir():
				if err := walk(child); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(p); err != nil {
		if errors.Is(err, errCrossesRule) {
			return http.StatusForbidden, err
		}
		return statusOf(err), err
	}
	return 0, nil
}

// checkDestination refuses (403) a COPY or MOVE, or the assembly of a
// chunked upload, onto the resource path dst (asked the name the client
// used) unless the principal may write it and, for a collection
// operation, everything below it.
func (h *Handler) checkDestination(asked, dst string, tree bool) (int, error) {
	ok := h.mayWrite(dst) && (asked == dst || h.mayWrite(asked))
	if !ok {
		return http.StatusForbidden, errors.New("no write access to the destination")
	}
	if tree {
		return h.checkTree(asked, dst, access.Write)
	}
	return 0, nil
}

// visible reports whether a folder member, whose name is child and Real
// name real, appears in listings as far as the rules go (see listed).
func (h *Handler) visible(child, real string) bool {
	return h.mayRead(child) && (real == child || h.mayRead(real))
}

// hiddenName reports whether the base name of p matches one of
// Config.Hide's patterns (path.Match, checked by New).
func (h *Handler) hiddenName(p string) bool {
	if len(h.cfg.Hide) == 0 {
		return false
	}
	name := path.Base(p)
	for _, pat := range h.cfg.Hide {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// checkHide refuses a pattern of Config.Hide that path.Match cannot use,
// or that holds a slash (a base name never does).
func checkHide(patterns []string) error {
	for _, pat := range patterns {
		if _, err := path.Match(pat, ""); err != nil || pat == "" || strings.Contains(pat, "/") {
			return errors.New("dav: Config.Hide: bad pattern " + pat)
		}
	}
	return nil
}

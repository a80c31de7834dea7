package xnetdav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"golang.org/x/net/webdav"

	"github.com/atomdav/atomdav/proppatch"
)

// DefaultMaxBodyBytes bounds a PROPPATCH or PROPFIND body when
// Handler.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxResponseBytes bounds the answer of the wrapped handler that a
// Handler holds in memory (a PROPFIND's 207, before the merge) when
// Handler.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 64 << 20

// Store keeps the dead properties of the resources a Handler serves, keyed
// by the resource's path inside the webdav.FileSystem, cleaned, with a
// leading slash ("/a/b"). The stores of package storage/bolt and
// storage/postgres in this module satisfy it. A Store must be safe for
// concurrent use.
type Store interface {
	proppatch.Store

	// CopyTree copies the properties of src and every resource under it to
	// the same places under dst, in one commit.
	CopyTree(ctx context.Context, src, dst string) error

	// MoveTree moves the properties of src and every resource under it to
	// the same places under dst, in one commit.
	MoveTree(ctx context.Context, src, dst string) error

	// DeleteTree deletes the properties of p and every resource under it,
	// in one commit.
	DeleteTree(ctx context.Context, p string) error
}

// Handler wraps a webdav.Handler: PROPPATCH goes through a
// proppatch.Engine, PROPFIND returns stored dead properties exactly, COPY,
// MOVE and DELETE keep the Store in step with the tree. WebDAV and Store
// must be set; the zero value of the other fields is a valid configuration.
type Handler struct {
	// WebDAV serves every method; its FileSystem, LockSystem and Prefix
	// are used for PROPPATCH too.
	WebDAV *webdav.Handler

	// Store keeps the dead properties.
	Store Store

	// Limits bounds what a PROPPATCH stores (proppatch.Limits).
	Limits proppatch.Limits

	// MaxBodyBytes bounds a PROPPATCH or PROPFIND body; zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// MaxResponseBytes bounds the wrapped handler's answer that the
	// Handler holds before it merges or passes it on: a PROPFIND whose
	// 207 would be larger (Depth: infinity over a large tree) is refused
	// with 507 Insufficient Storage. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Wrap returns a Handler that serves h with its dead properties in store.
func Wrap(h *webdav.Handler, store Store) *Handler {
	return &Handler{WebDAV: h, Store: store}
}

// ServeHTTP serves PROPPATCH and PROPFIND as the package doc says and hands
// every other method to the wrapped webdav.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var status int
	var err error
	switch r.Method {
	case "PROPPATCH":
		status, err = h.servePropPatch(w, r)
	case "PROPFIND":
		status, err = h.servePropfind(w, r)
	case "COPY", "MOVE", "DELETE":
		status, err = h.serveTree(w, r)
	default:
		h.WebDAV.ServeHTTP(w, r)
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		if status != http.StatusNoContent {
			fmt.Fprintln(w, http.StatusText(status))
		}
	}
	if h.WebDAV.Logger != nil {
		h.WebDAV.Logger(r, err)
	}
}

// maxBody returns the bound of a request body.
func (h *Handler) maxBody() int64 {
	if h.MaxBodyBytes > 0 {
		return h.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// maxResponse returns the bound of a held answer.
func (h *Handler) maxResponse() int64 {
	if h.MaxResponseBytes > 0 {
		return h.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

// servePropPatch applies a PROPPATCH with a proppatch.Engine (RFC 4918
// §9.2), holding the resource's lock while it commits. It returns a status
// for the caller to write, or 0 once it has written the 207.
func (h *Handler) servePropPatch(w http.ResponseWriter, r *http.Request) (int, error) {
	name, status, err := h.stripPrefix(r.URL.Path)
	if err != nil {
		return status, err
	}
	release, status, err := h.confirmLocks(r, name)
	if err != nil {
		return status, err
	}
	defer release()
	ctx := r.Context()
	if _, err := h.WebDAV.FileSystem.Stat(ctx, name); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return http.StatusNotFound, err
		}
		return http.StatusMethodNotAllowed, err
	}
	u, err := proppatch.Parse(http.MaxBytesReader(w, r.Body, h.maxBody()))
	if err != nil {
		var pe *proppatch.Error
		if errors.As(err, &pe) {
			return pe.Status, err
		}
		return http.StatusBadRequest, err
	}
	engine := proppatch.Engine{Store: h.Store, Limits: h.Limits}
	res, err := engine.Apply(ctx, storeKey(name), u)
	if err != nil {
		return http.StatusInternalServerError, err
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	return 0, res.WriteMultiStatus(w, (&url.URL{Path: r.URL.Path}).EscapedPath())
}

// serveTree lets the wrapped handler run a COPY, MOVE or DELETE and, when it
// succeeds, applies the same change to the properties of the subtree. The
// wrapped handler's answer is held until then, so that a failing Store
// turns it into a 500.
func (h *Handler) serveTree(w http.ResponseWriter, r *http.Request) (int, error) {
	src, status, err := h.stripPrefix(r.URL.Path)
	if err != nil {
		return status, err
	}
	dst := ""
	if r.Method != "DELETE" {
		if dst, status, err = h.destination(r); err != nil {
			return status, err
		}
	}
	c := newCapture(h.maxResponse()) // x/net answers these with a status line only
	h.WebDAV.ServeHTTP(c, r)
	if c.status < 200 || c.status > 299 {
		c.send(w, c.body.Bytes())
		return 0, nil
	}
	method := r.Method
	if method == "COPY" && r.Header.Get("Depth") == "0" {
		method = "COPY0"
	}
	if err := h.treeProps(r.Context(), method, storeKey(src), dst); err != nil {
		return http.StatusInternalServerError, err
	}
	c.send(w, c.body.Bytes())
	return 0, nil
}

// treeProps applies a successful COPY, MOVE or DELETE to the Store
// ("COPY0" for a COPY with Depth: 0, which copies a collection without its
// members, RFC 4918 §9.8.3). A COPY or MOVE replaced whatever was at dst,
// so dst's properties go first.
func (h *Handler) treeProps(ctx context.Context, method, src, dst string) error {
	if method == "DELETE" {
		return h.Store.DeleteTree(ctx, src)
	}
	if dst == "" {
		return errors.New("xnetdav: COPY or MOVE succeeded without a Destination")
	}
	dst = storeKey(dst)
	if dst == src {
		return nil
	}
	if err := h.Store.DeleteTree(ctx, dst); err != nil {
		return err
	}
	switch method {
	case "MOVE":
		return h.Store.MoveTree(ctx, src, dst)
	case "COPY0":
		props, err := h.Store.Props(ctx, src)
		if err != nil || len(props) == 0 {
			return err
		}
		return h.Store.PatchProps(ctx, dst, props, nil)
	}
	return h.Store.CopyTree(ctx, src, dst)
}

// destination returns the FileSystem name of a COPY or MOVE's Destination,
// as x/net reads it; a header x/net would refuse gives "" and no error, for
// the wrapped handler to answer.
func (h *Handler) destination(r *http.Request) (string, int, error) {
	u, err := url.Parse(r.Header.Get("Destination"))
	if err != nil || u.Host != "" && u.Host != r.Host {
		return "", 0, nil
	}
	dst, _, err := h.stripPrefix(u.Path)
	if err != nil {
		return "", 0, nil
	}
	return dst, 0, nil
}

// stripPrefix removes the wrapped handler's Prefix from an URL path, as
// webdav.Handler does: a path outside the prefix is 404.
func (h *Handler) stripPrefix(p string) (string, int, error) {
	if h.WebDAV.Prefix == "" {
		return p, 0, nil
	}
	if r := strings.TrimPrefix(p, h.WebDAV.Prefix); len(r) < len(p) {
		return r, 0, nil
	}
	return p, http.StatusNotFound, errors.New("xnetdav: path outside the prefix")
}

// storeKey returns the Store's key for a FileSystem name: cleaned, with a
// leading slash and no trailing one.
func storeKey(name string) string {
	return path.Clean("/" + name)
}

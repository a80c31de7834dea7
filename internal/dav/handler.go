package dav

import (
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/atomdav/atomdav/internal/access"
	"github.com/atomdav/atomdav/internal/pathlock"
	"github.com/atomdav/atomdav/proppatch"
	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/uploads"
)

// Config holds what a Handler needs. FS, Store and Locks are required; the
// zero value of every other field is a sane default.
type Config struct {
	// FS is the served folder, the handlers' one way to the disk.
	FS FileSystem
	// Store keeps the dead properties: the store FS records its intents
	// in, so a tree change and its properties move together.
	Store PropStore
	// Locks is the WebDAV lock table (a storage.Store is one).
	Locks storage.LockTable
	// Prefix is the URL path the share is mounted at ("/dav"); empty for "/".
	Prefix string
	// MaxXMLBytes bounds PROPFIND/PROPPATCH/LOCK bodies; 0 means 1 MiB.
	MaxXMLBytes int64
	// MaxUploadBytes bounds PUT bodies; 0 means no limit.
	MaxUploadBytes int64
	// UploadIdleTimeout is the longest a PUT body may send nothing before
	// the upload ends with 408; 0 means no limit.
	UploadIdleTimeout time.Duration
	// UploadMinRate is the fewest bytes a second a PUT body may average
	// over a window of UploadIdleTimeout (a minute when that is 0) of
	// time spent waiting for it, the first window excepted, before the
	// upload ends with 408; 0 means no minimum.
	UploadMinRate int64
	// MaxUploads bounds the PUT bodies received at once across the
	// server, and MaxUploadsPerUser those of one principal
	// (anonymous is one); a PUT over either is 503 with Retry-After,
	// before its body is read. 0 means no limit.
	MaxUploads, MaxUploadsPerUser int
	// MaxZipBytes bounds the file bytes of one folder downloaded as a zip
	// (GET folder/?zip, see zip.go): 413 above; 0 means no limit.
	MaxZipBytes int64
	// MaxZips bounds the zips sent at once across the server: 503 with
	// Retry-After above; 0 means no limit.
	MaxZips int
	// AllowInfiniteDepth lets PROPFIND walk a whole tree (Depth: infinity).
	AllowInfiniteDepth bool
	// HideOSJunk leaves .DS_Store, Thumbs.db, desktop.ini and ._* files
	// out of listings (they stay reachable by name).
	HideOSJunk bool
	// Hide leaves the members whose base name matches one of its
	// path.Match patterns out of listings; like OS junk, they stay
	// reachable by name. New refuses a malformed pattern.
	Hide []string
	// MaxLockTimeout caps the timeout a LOCK may ask for (Infinite
	// included); 0 means 24 hours.
	MaxLockTimeout time.Duration
	// MaxLockOwnerBytes bounds the DAV:owner XML of a LOCK, which every
	// lock discovery echoes (400 above); 0 means 4 KiB.
	MaxLockOwnerBytes int64
	// MaxIfConditions bounds the conditions of an If header, each of which
	// may cost a store read (400 above); 0 means 256.
	MaxIfConditions int
	// MaxPropfindProps bounds the property names one PROPFIND asks for
	// (DAV:prop, or DAV:include with allprop), each of which is answered
	// for every member listed (403 above); 0 means 256.
	MaxPropfindProps int
	// Checksums names the digests computed of every file written (PUT,
	// assembled chunks) and kept with it, reported as oc:checksums, from
	// ChecksumNames; nil means DefaultChecksums, empty none. Others a
	// client sends to verify an upload are computed for that request.
	Checksums []string
	// MaxRanges bounds the ranges of a GET's Range header; a request for
	// more gets the whole file (RFC 9110 §14.2 lets a server ignore
	// Range), as Apache's MaxRanges does; 0 means 100.
	MaxRanges int
	// Limits bound dead properties (value size, count per resource).
	Limits proppatch.Limits
	// MaxXMLDepth bounds the element nesting of a PROPPATCH body, which is
	// parsed recursively (400 above); 0 means proppatch.DefaultMaxDepth.
	// PROPFIND and LOCK bodies are read without recursion.
	MaxXMLDepth int
	// LockLimits bound the live locks rooted at one resource and held by
	// one principal; a LOCK over either is refused with 507. A zero field
	// is no limit (internal/config sets the defaults).
	LockLimits storage.LockLimits
	// OnError is told about every request that failed with a 5xx status,
	// with the internal error, except the 5xx statuses that are the
	// client's doing (see clientsDoing); nil ignores them.
	OnError func(r *http.Request, err error)
	// Uploads keeps the folders of Nextcloud's chunked uploads
	// (ServeUploads); nil turns chunked uploads off (501).
	Uploads *uploads.Store
	// MaxSyncResults bounds the members one sync-collection REPORT
	// answers (sync.go); a client asking for more, or an incremental sync
	// with more changes, gets 507 on the truncated set with a token to
	// continue from. 0 means 10,000.
	MaxSyncResults int
	// OnProppatch is told the outcome of every PROPPATCH that reached the
	// store: committed when all its instructions were applied, false when
	// one failed and the request was rolled back (a 207 with a failing
	// propstat). Requests refused before (4xx, 5xx) are not reported. It is
	// called from concurrent requests; nil ignores outcomes.
	OnProppatch func(committed bool)
}

// Handler serves WebDAV. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	fs     FileSystem
	props  PropStore
	engine *proppatch.Engine
	locks  storage.LockTable
	paths  *pathlock.Table // shared by every Scoped view
	// uploads counts the PUT bodies under way, shared by every view.
	uploads *uploadSlots
	zips    zipSlots     // shared by every view
	owners  *ownerChecks // shared by every Scoped view
	// sums is the set of Config.Checksums; ids the share's instance id,
	// shared by every view, and instance its value for one request that
	// needs it (oc:id, OC-FileId).
	sums     algoSet
	ids      *instanceID
	instance string
	// root is the resource path this view serves as "/" (empty for all);
	// readOnly refuses every write method.
	root     string
	readOnly bool
	// rules refine readOnly path by path (see Restricted); nil: none.
	rules *access.Table
	// principal is who this view serves: the user name, "" for
	// anonymous. It owns the locks it takes; no other view may use
	// their tokens (RFC 4918 §6.4).
	principal string
	// req, nest and base are set for one request whose names lead
	// through symlinks (see aliased, nested); base is the root's Real
	// name when it differs.
	req  alias
	nest []alias
	base string
	// chunks are the URL paths of Nextcloud's chunked uploads for this
	// view, which its web page uploads large files through; zero when
	// they are off (see WithPageChunks).
	chunks pageChunks
	// journal is the store's change journal (nil when it keeps none), and
	// gate the writes whose entries may be ahead of the tree (journal.go),
	// shared by every view.
	journal storage.Journal
	gate    *gate
}

// New returns a Handler for cfg.
func New(cfg Config) (*Handler, error) {
	if cfg.FS == nil || cfg.Store == nil || cfg.Locks == nil {
		return nil, errors.New("dav: Config.FS, Store and Locks are required")
	}
	cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
	if cfg.Prefix != "" && !strings.HasPrefix(cfg.Prefix, "/") {
		cfg.Prefix = "/" + cfg.Prefix
	}
	if cfg.MaxXMLBytes <= 0 {
		cfg.MaxXMLBytes = 1 << 20
	}
	if cfg.MaxLockOwnerBytes <= 0 {
		cfg.MaxLockOwnerBytes = 4 << 10
	}
	if cfg.MaxIfConditions <= 0 {
		cfg.MaxIfConditions = 256
	}
	if cfg.MaxPropfindProps <= 0 {
		cfg.MaxPropfindProps = 256
	}
	if cfg.MaxSyncResults <= 0 {
		cfg.MaxSyncResults = 10000
	}
	if cfg.MaxRanges <= 0 {
		cfg.MaxRanges = 100
	}
	if cfg.MaxLockTimeout <= 0 {
		cfg.MaxLockTimeout = 24 * time.Hour
	}
	if cfg.Checksums == nil {
		cfg.Checksums = DefaultChecksums
	}
	sums, err := parseAlgoSet(cfg.Checksums)
	if err != nil {
		return nil, err
	}
	if err := checkHide(cfg.Hide); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, fs: cfg.FS, props: cfg.Store, locks: cfg.Locks, paths: &pathlock.Table{}, owners: &ownerChecks{},
		sums: sums, ids: &instanceID{}}
	h.uploads = newUploadSlots(cfg.MaxUploads, cfg.MaxUploadsPerUser)
	h.zips = newZipSlots(cfg.MaxZips)
	if j, ok := cfg.Store.(storage.Journal); ok {
		h.journal = j
	}
	h.gate = &gate{floors: map[uint64]uint64{}}

	h.engine = &proppatch.Engine{
		Store:     cfg.Store,
		Limits:    cfg.Limits,
		Live:      liveSetters(cfg.FS),
		Protected: protectedProp,
	}
	return h, nil
}

// Scoped returns a view of h for principal (a user name, "" for
// anonymous) that serves the collection root (a resource path such as
// "/alice") as its "/", refusing every write method with 403 when
// readOnly. Views share h's store, locks and path locks, so requests
// through different views serialise as if through one. The locks a view
// takes belong to its principal: views of other principals see them
// without their tokens and cannot use, refresh or remove them. The root
// is the view's jail: a name a symlink leads out of it is refused (403),
// as one leading out of the share is (see realPath). An empty or "/" root
// is the whole share.
func (h *Handler) Scoped(principal, root string, readOnly bool) *Handler {
	v := *h
	v.root = strings.TrimSuffix(path.Clean("/"+root), "/")
	v.readOnly = readOnly
	v.principal = principal
	return &v
}

// Mounted returns a copy of h served at the URL prefix instead of
// Config.Prefix: the same view (principal, root, access) reached through
// another URL layout, such as Nextcloud's /remote.php/dav/files/<user>.
// Hrefs in its answers and the Destination of its COPY and MOVE use prefix.
func (h *Handler) Mounted(prefix string) *Handler {
	v := *h
	v.cfg.Prefix = strings.TrimSuffix(prefix, "/")
	return &v
}

// ServeHTTP routes one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every answer, file, listing, multistatus or error, is of the type
	// its Content-Type says: a browser must not sniff a text error or an
	// XML body into HTML.
	w.Header()["X-Content-Type-Options"] = nosniff // by canonical key: no canonicalisation per request
	status, err := h.serve(w, r)
	// A server failure is a 5xx, or an error from a handler that answered
	// itself (status 0) and had to cut a streamed body short; a client that
	// went away mid-request is neither, nor a 5xx the client asked for.
	failed := (status >= 500 && !clientsDoing(status, err)) || status == 0 && err != nil
	if failed && h.cfg.OnError != nil && r.Context().Err() == nil {
		h.cfg.OnError(r, err)
	}
	if status != 0 {
		h.writeErrorFor(w, r, status, err)
	}
}

// nosniff is the X-Content-Type-Options value, shared by every answer
// (net/http only reads header values).
var nosniff = []string{"nosniff"}

// clientsDoing reports whether a 5xx answers what the client sent rather
// than a failure of the server, so that OnError (an error log line) is not
// told of it: a LOCK over the client's lock limit (507), a method the
// server does not implement (501, RFC 9110 §15.6.2), a Destination on
// another server or outside the share (502, RFC 4918 §9.8.5), a PUT with
// no upload slot free (503) and a property name the store cannot keep
// (507). Anyone can send as many of them as they like.
func clientsDoing(status int, err error) bool {
	switch status {
	case http.StatusNotImplemented, http.StatusBadGateway:
		return true
	}
	return errors.Is(err, storage.ErrTooManyLocks) || errors.Is(err, storage.ErrInvalidName) ||
		errors.Is(err, errTooManyUploads) || errors.Is(err, errTooManyZips)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (int, error) {
	asked, err := h.namePath(r.URL.Path)
	if err != nil {
		return statusOf(err), err
	}
	p := asked
	var fi fs.FileInfo // PROPFIND's, when resolving the name gave it (see realPathStat)
	switch r.Method {
	case "GET", "HEAD": // handleGet learns it while opening
	case "PROPFIND":
		p, fi, err = h.realPathStat(asked)
	default:
		p, err = h.realPath(asked, followsLast(r.Method))
	}
	if err != nil {
		return statusOf(err), err
	}
	if p != asked {
		h = h.aliased(asked, p)
	}
	if status, err := h.permit(r.Method, asked, p); status != 0 {
		return status, err
	}
	if h.fs.IsHidden(p) {
		if isWrite(r.Method) {
			return http.StatusForbidden, errors.New("reserved name (state folder or temp file)")
		}
		return http.StatusNotFound, nil
	}
	switch r.Method {
	case "OPTIONS":
		return h.handleOptions(w, r, p)
	case "GET", "HEAD":
		return h.handleGet(w, r, p)
	case "PROPFIND":
		return h.handlePropfind(w, r, p, fi)
	case "PROPPATCH":
		return h.handleProppatch(w, r, p)
	case "PUT":
		return h.handlePut(w, r, p)
	case "DELETE":
		return h.handleDelete(w, r, p)
	case "COPY", "MOVE":
		return h.handleCopyMove(w, r, p)
	case "MKCOL":
		return h.handleMkcol(w, r, p)
	case "LOCK":
		return h.handleLock(w, r, p)
	case "UNLOCK":
		return h.handleUnlock(w, r, p)
	case "REPORT":
		return h.handleReport(w, r, p)
	}
	return http.StatusNotImplemented, errors.New("method not supported")
}

// resourcePath maps a decoded URL path to the Real name of the resource
// it names (see realPath), refusing one outside the view.
func (h *Handler) resourcePath(urlPath string, followLast bool) (string, error) {
	p, err := h.namePath(urlPath)
	if err != nil {
		return "", err
	}
	return h.realPath(p, followLast)
}

// namePath maps a decoded URL path to a resource path: it strips the
// prefix, cleans it and places it under the view's root.
func (h *Handler) namePath(urlPath string) (string, error) {
	rest, ok := strings.CutPrefix(urlPath, h.cfg.Prefix)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return "", &Error{Status: http.StatusNotFound, Err: errors.New("outside the share")}
	}
	if strings.ContainsRune(rest, 0) {
		return "", &Error{Status: http.StatusBadRequest, Err: errors.New("NUL in path")}
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < 0x20 {
			return "", &Error{Status: http.StatusBadRequest, Err: errors.New("control character in path")}
		}
	}
	// rest is empty or starts with a slash, so cleaning it gives a rooted
	// path, and cleaning a clean path (the usual case) allocates nothing.
	p := "/"
	if rest != "" {
		p = path.Clean(rest)
	}
	switch {
	case h.root == "":
	case p == "/":
		p = h.root
	default:
		p = h.root + p
	}
	return h.fs.Canonical(p), nil
}

// href is the escaped URL path of resource p, with a trailing slash for a
// collection, by the name the client used for it (see named).
func (h *Handler) href(p string, collection bool) string {
	return h.hrefOf(h.named(p), collection)
}

// hrefOf is href of a name the client used.
func (h *Handler) hrefOf(p string, collection bool) string {
	if h.root != "" {
		switch {
		case within(p, h.root):
			p = strings.TrimPrefix(p, h.root)
		default: // the view's root, or a lock rooted above it
			p = "/"
		}
	}
	full := h.cfg.Prefix + p
	if collection && !strings.HasSuffix(full, "/") {
		full += "/"
	}
	return (&url.URL{Path: full}).EscapedPath()
}

// isRoot reports whether p is the view's root: "/" of the share, or the
// folder a user sees as "/". It is never deleted, moved, overwritten by a
// COPY or MOVE, or replaced by a PUT, whoever asks: the user would lose
// the one folder they see (or swap it for a file), and for the share's
// root the state folder with it.
func (h *Handler) isRoot(p string) bool {
	if h.root == "" {
		return p == "/"
	}
	return p == h.fs.Canonical(h.root) || p == h.top() // as resourcePath spells it, or its Real name
}

func isWrite(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT":
		return false
	}
	return true
}

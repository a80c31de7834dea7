package dav

import (
	"errors"
	"io/fs"
	"net/http"
)

// The methods a resource allows (RFC 9110 §10.2.1), by what it is: an
// unmapped URL can only be created (PUT, MKCOL) or lock-reserved.
const (
	allowUnmapped   = "OPTIONS, LOCK, PUT, MKCOL"
	allowCollection = "OPTIONS, GET, HEAD, PROPFIND, PROPPATCH, COPY, MOVE, DELETE, LOCK, UNLOCK, REPORT"
	allowFile       = "OPTIONS, GET, HEAD, PUT, PROPFIND, PROPPATCH, COPY, MOVE, DELETE, LOCK, UNLOCK"
	// A read-only view allows only the methods that read: it refuses
	// every other with 403, and a client that believes Allow (Finder
	// mounts a share read-only when it cannot LOCK) should not offer them.
	allowReadOnly         = "OPTIONS, GET, HEAD, PROPFIND"
	allowReadOnlyUnmapped = "OPTIONS"
)

// handleOptions answers OPTIONS with the methods the resource allows.
func (h *Handler) handleOptions(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	allow := allowUnmapped
	fi, err := h.fs.Stat(r.Context(), p)
	switch {
	case err == nil && fi.IsDir():
		allow = allowCollection
	case err == nil:
		allow = allowFile
	case !errors.Is(err, fs.ErrNotExist):
		return statusOf(err), err
	}
	if !h.mayWrite(p) {
		allow = allowReadOnly
		if err != nil {
			allow = allowReadOnlyUnmapped
		}
	}
	writeOptions(w, allow)
	return 0, nil
}

// WriteCollectionOptions answers an OPTIONS of a collection without
// looking at it, as handleOptions answers one: the server's answer to an
// unauthenticated OPTIONS of the share's root, which Windows' Mini-Redirector
// sends to decide whether the server speaks WebDAV before it sends
// credentials.
func WriteCollectionOptions(w http.ResponseWriter) { writeOptions(w, allowCollection) }

// writeOptions is the one place the OPTIONS headers are written: Allow,
// the WebDAV classes 1, 2 and 3 (RFC 4918 §10.1, §18), and MS-Author-Via,
// which tells Windows and Office to use WebDAV rather than FrontPage
// extensions.
func writeOptions(w http.ResponseWriter, allow string) {
	hdr := w.Header()
	hdr.Set("Allow", allow)
	hdr.Set("DAV", "1, 2, 3")
	hdr.Set("MS-Author-Via", "DAV")
	hdr.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

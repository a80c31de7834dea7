package dav

import (
	"errors"
	"io/fs"
	"net/http"
	"strings"
)

// handleOptions advertises WebDAV classes 1, 2 and 3 (RFC 4918 §18) and the
// methods the resource allows; MS-Author-Via tells Windows and Office to
// use WebDAV rather than FrontPage extensions.
func (h *Handler) handleOptions(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	allow := []string{"OPTIONS", "LOCK", "PUT", "MKCOL"}
	fi, err := h.fs.Stat(r.Context(), p)
	switch {
	case err == nil && fi.IsDir():
		allow = []string{"OPTIONS", "GET", "HEAD", "PROPFIND", "PROPPATCH", "COPY", "MOVE", "DELETE", "LOCK", "UNLOCK"}
	case err == nil:
		allow = []string{"OPTIONS", "GET", "HEAD", "PUT", "PROPFIND", "PROPPATCH", "COPY", "MOVE", "DELETE", "LOCK", "UNLOCK"}
	case !errors.Is(err, fs.ErrNotExist):
		return statusOf(err), err
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	w.Header().Set("DAV", "1, 2, 3")
	w.Header().Set("MS-Author-Via", "DAV")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return 0, nil
}

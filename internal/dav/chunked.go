package dav

import (
	"errors"
	"net/http"
)

// ServeUploads serves Nextcloud's chunked uploads (chunking v2) of h's
// principal: r.URL.Path lies under uploadsPrefix
// ("/remote.php/dav/uploads/<user>"), and the Destination of its MOVE
// names a file under filesPrefix ("/remote.php/dav/files/<user>").
//
// SEAM (issue 14, being built on branch i14-chunks): until then every
// request is 501.
func (h *Handler) ServeUploads(w http.ResponseWriter, r *http.Request, uploadsPrefix, filesPrefix string) {
	writeError(w, http.StatusNotImplemented, errors.New("chunked uploads are not available yet"))
}

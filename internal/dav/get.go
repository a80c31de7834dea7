package dav

import (
	"net/http"
)

// handleGet serves a file with http.ServeContent over its *os.File
// (ranges, conditional GET, sendfile), with the ETag and Content-Type that
// PROPFIND reports, and a collection with a listing. It replaces
// x/net/webdav's GET, which cannot serve a per-user view and sniffs
// content for a type PROPFIND does not report.
func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	f, err := h.fs.Open(p)
	if err != nil {
		return statusOf(err), err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return statusOf(err), err
	}
	if fi.IsDir() {
		return h.listing(w, r, p)
	}
	w.Header().Set("ETag", etag(fi))
	w.Header().Set("Content-Type", contentType(fi.Name()))
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
	return 0, nil
}

package dav

import (
	"net/http"
	"os"
	"syscall"
)

// handleGet serves a file with http.ServeContent over its *os.File
// (ranges, conditional GET, sendfile), with the ETag and Content-Type that
// PROPFIND reports, and a collection with a listing. It replaces
// x/net/webdav's GET, which cannot serve a per-user view and sniffs
// content for a type PROPFIND does not report.
//
// The file is opened with O_NONBLOCK, which regular files ignore (open(2)):
// on Linux os.Open tries to put every file in the netpoller and, when that
// fails as it does for regular files, undoes it, four fcntl calls that an
// fd already non-blocking skips. For a FIFO someone left in the share it
// means the open does not wait for a writer.
func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	local, err := h.fs.Resolve(p)
	if err != nil {
		return statusOf(err), err
	}
	f, err := os.OpenFile(local, os.O_RDONLY|syscall.O_NONBLOCK, 0)
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

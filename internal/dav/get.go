package dav

import (
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/atomdav/atomdav/storage/localfs"
)

// handleGet serves a file with http.ServeContent over the open file
// (ranges, conditional GET, sendfile), with the ETag and Content-Type that
// PROPFIND reports, and a collection with a listing. It replaces
// x/net/webdav's GET, which cannot serve a per-user view and sniffs
// content for a type PROPFIND does not report. ServeHTTP leaves the
// request's Real name (see realPath) to it: opening finds out for free
// whether a symlink lies on the way.
func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	f, real, err := h.fs.OpenReal(p)
	if err != nil {
		return statusOf(err), err
	}
	defer f.Close()
	if real != p { // a symlink on the way: the view's jail, and its names
		if h, err = h.throughSymlink(p, real); err != nil {
			return statusOf(err), err
		}
		p = real
	}
	fi, err := f.Stat()
	if err != nil {
		return statusOf(err), err
	}
	if fi.IsDir() {
		if r.URL.RawQuery != "" && wantsZip(r.URL.RawQuery) {
			return h.serveZip(w, r, p)
		}
		return h.listing(w, r, p)
	}
	fileHeaders(w.Header(), fi)
	if want := r.Header.Values("Want-Repr-Digest"); len(want) > 0 {
		if err := h.reprDigest(w, r, p, f, fi, strings.Join(want, ", ")); err != nil {
			return statusOf(err), err
		}
	}
	h.limitRanges(r)
	if plainGet(r) {
		return 0, serveWhole(w, r, fi, f)
	}
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
	return 0, nil
}

// plainGet reports whether r has no Range and no precondition header, so
// that the answer is the whole file with 200 whatever the file: what
// http.ServeContent would answer, without its two seeks to learn the size
// that fi already holds (see serveWhole). The headers are looked up by
// their canonical keys, as net/http stores them.
func plainGet(r *http.Request) bool {
	hdr := r.Header
	return len(hdr["Range"]) == 0 && len(hdr["If-Match"]) == 0 && len(hdr["If-None-Match"]) == 0 &&
		len(hdr["If-Modified-Since"]) == 0 && len(hdr["If-Unmodified-Since"]) == 0
}

// serveWhole answers a plainGet as http.ServeContent does: Last-Modified
// (unless the time is unknown), Accept-Ranges, Content-Length, 200, and
// for GET the first fi.Size() bytes of f, which is at its start. Copying
// through io.CopyN keeps the sendfile path of net/http (a LimitedReader
// of a syscall.Conn, which the file is on Linux) and never sends more than Content-Length says, should
// the file grow meanwhile.
func serveWhole(w http.ResponseWriter, r *http.Request, fi fs.FileInfo, f localfs.File) error {
	hdr := w.Header()
	if mt := fi.ModTime(); !mt.IsZero() && mt.Unix() != 0 {
		hdr["Last-Modified"] = []string{httpDate(mt)}
	}
	hdr["Accept-Ranges"] = acceptBytes
	hdr["Content-Length"] = []string{strconv.FormatInt(fi.Size(), 10)}
	w.WriteHeader(http.StatusOK)
	if r.Method == "HEAD" {
		return nil
	}
	_, err := io.CopyN(w, f, fi.Size())
	return err
}

// acceptBytes is the one Accept-Ranges value, shared: net/http only reads
// header values.
var acceptBytes = []string{"bytes"}

// limitRanges drops a Range header of more than Config.MaxRanges ranges,
// so the whole file is sent (200). Each range is a part of its own, with
// its headers and a read, so many small ranges make an answer and a cost
// far beyond the request's size; RFC 9110 §14.2 lets a server ignore Range
// for that reason, and Apache (MaxRanges) does the same. net/http already
// ignores ranges that add up to more than the file.
func (h *Handler) limitRanges(r *http.Request) {
	if rg := r.Header.Get("Range"); rg != "" && strings.Count(rg, ",") >= h.cfg.MaxRanges {
		r.Header.Del("Range")
	}
}

// fileCSP is the Content-Security-Policy of every file served: a file one
// user uploaded (.html, .svg, .xhtml) must not run script in the share's
// origin, with the credentials of another user who opens it. "sandbox"
// gives the document a unique origin and no scripts, forms, popups or
// plugins; it can still show text, images and styles.
const fileCSP = "sandbox"

// fileHeaders sets the ETag and Content-Type that PROPFIND reports for fi,
// and the headers that keep a file from running as part of the site:
// fileCSP, and nosniff so a browser never takes a file for another type
// than Content-Type says. They come before http.ServeContent, so 206, 304,
// 412 and 416 answers and HEAD carry them too. It is apart from handleGet
// to keep handleGet's frame, which stays on the stack while the file is
// sent, small (see server's middleware).
func fileHeaders(hdr http.Header, fi fs.FileInfo) {
	// Set by canonical key, skipping net/http's canonicalisation.
	hdr["Etag"] = []string{etag(fi)}
	hdr["Content-Type"] = []string{contentType(fi.Name())}
	hdr["Content-Security-Policy"] = fileCSPValue
}

// fileCSPValue is fileCSP as a header value, shared by every answer.
var fileCSPValue = []string{fileCSP}

package dav

import (
	"net/url"
	"strings"
)

// pageMayWrite reports whether the folder page of p shows the controls
// that change it (upload, new folder, rename, delete). It only decides
// what the page offers: every request those controls send is checked on
// its own, as any client's. The per-path rules decide, as for any write.
func (h *Handler) pageMayWrite(p string) bool { return h.mayWrite(p) }

// pageChunkSize is the size of the chunks the page uploads a large file
// in, and the size above which it does (when chunked uploads are on): big
// enough that a chunk's request costs little, small enough that a retry
// after a dropped connection resends little.
const pageChunkSize = 8 << 20

// pageChunks are the URL paths of Nextcloud's chunked uploads (chunking
// v2) as one view reaches them: uploads, where an upload's folder is made
// ("/remote.php/dav/uploads/<user>"), and files, the view's root in the
// Destination of the MOVE that assembles one ("/remote.php/dav/files/<user>").
type pageChunks struct{ uploads, files string }

// WithPageChunks returns a copy of h whose folder page uploads large files
// in chunks through the chunked-upload URLs uploads and files (see
// pageChunks), prefix included; the server sets them for the views that
// may use them.
func (h *Handler) WithPageChunks(uploads, files string) *Handler {
	v := *h
	v.chunks = pageChunks{uploads: strings.TrimSuffix(uploads, "/"), files: strings.TrimSuffix(files, "/")}
	return &v
}

// chunkURLs are the escaped chunked-upload URLs the page of collection p
// uses: the upload folders, and p's own URL below the files root (where
// the assembled file's Destination lies); empty when chunks are off.
func (h *Handler) chunkURLs(p string) (uploads, dest string) {
	if h.chunks.uploads == "" || h.cfg.Uploads == nil {
		return "", ""
	}
	rel := h.named(p)
	if h.root != "" {
		rel = strings.TrimPrefix(rel, h.root)
	}
	dest = h.chunks.files + "/" + strings.TrimPrefix(rel, "/")
	if !strings.HasSuffix(dest, "/") {
		dest += "/"
	}
	return (&url.URL{Path: h.chunks.uploads + "/"}).EscapedPath(), (&url.URL{Path: dest}).EscapedPath()
}

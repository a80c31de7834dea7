package dav

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/atomdav/atomdav/storage/uploads"
)

// Nextcloud's chunked uploads (chunking v2, and the v1 chunk names rclone
// sends), https://docs.nextcloud.com/server/latest/developer_manual/client_apis/WebDAV/chunking.html:
//
//	MKCOL  <uploads>/<id>          begin (Destination, OC-Total-Length optional)
//	PUT    <uploads>/<id>/<chunk>  a chunk: 1..10000, or rclone's "<start>-<end>"
//	PROPFIND <uploads>[/<id>]      what is there, to resume
//	MOVE   <uploads>/<id>/.file    assemble into Destination (a file URL)
//	DELETE <uploads>/<id>          abort
//
// The upload folders live in Config.Uploads, keyed by the view's
// principal: whatever URL reaches a view, it sees only its own.

// allowUploads is what the upload folders allow.
const (
	allowUploadHome   = "OPTIONS, PROPFIND"
	allowUploadFolder = "OPTIONS, PROPFIND, MKCOL, DELETE"
	allowUploadChunk  = "OPTIONS, PROPFIND, PUT"
	allowUploadFile   = "OPTIONS, MOVE"
)

// assembleName is the member whose MOVE assembles the chunks.
const assembleName = ".file"

// ServeUploads serves Nextcloud's chunked uploads (chunking v2) of h's
// principal: r.URL.Path lies under uploadsPrefix
// ("/remote.php/dav/uploads/<user>"), and the Destination of its MOVE
// names a file under filesPrefix ("/remote.php/dav/files/<user>").
func (h *Handler) ServeUploads(w http.ResponseWriter, r *http.Request, uploadsPrefix, filesPrefix string) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	status, err := h.serveUploads(w, r, strings.TrimSuffix(uploadsPrefix, "/"), filesPrefix)
	failed := (status >= 500 && !clientsDoing(status, err)) || status == 0 && err != nil
	if failed && h.cfg.OnError != nil && r.Context().Err() == nil {
		h.cfg.OnError(r, err)
	}
	if status != 0 {
		h.writeErrorFor(w, r, status, err)
	}
}

// uploadReq is one request to the upload folders: the upload id and the
// member (chunk or ".file") its URL names, empty for the home or the
// upload folder.
type uploadReq struct {
	prefix    string   // uploadsPrefix
	files     *Handler // the view mounted at filesPrefix
	id, chunk string
}

func (h *Handler) serveUploads(w http.ResponseWriter, r *http.Request, prefix, filesPrefix string) (int, error) {
	if h.cfg.Uploads == nil {
		return http.StatusNotImplemented, errors.New("chunked uploads are off")
	}
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return http.StatusNotFound, errors.New("outside the upload folders")
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if parts[0] == "" {
		parts = nil
	}
	u := &uploadReq{prefix: prefix, files: h.Mounted(filesPrefix)}
	switch len(parts) {
	case 2:
		u.chunk = parts[1]
		if u.chunk != assembleName {
			if err := uploads.CheckChunk(u.chunk); err != nil {
				return badName(r, err)
			}
		}
		fallthrough
	case 1:
		u.id = parts[0]
		if err := uploads.CheckID(u.id); err != nil {
			return badName(r, err)
		}
	case 0:
	default:
		return http.StatusNotFound, errors.New("no such upload member")
	}
	if !h.writesSomewhere() && isWrite(r.Method) {
		return http.StatusForbidden, errors.New("read-only access")
	}
	return h.routeUpload(w, r, u)
}

// badName answers a URL whose upload id or chunk name the store refuses:
// 400 for the methods that would make it (MKCOL, PUT), 404 for the
// others (nothing can be there).
func badName(r *http.Request, err error) (int, error) {
	if r.Method == "MKCOL" || r.Method == "PUT" {
		return http.StatusBadRequest, err
	}
	return http.StatusNotFound, err
}

// routeUpload picks the handler of a method on an upload URL; anything
// else is 405 with the methods the URL allows.
func (h *Handler) routeUpload(w http.ResponseWriter, r *http.Request, u *uploadReq) (int, error) {
	allow := allowUploadHome
	switch {
	case u.chunk == assembleName:
		allow = allowUploadFile
		if r.Method == "MOVE" {
			return h.assembleUpload(w, r, u)
		}
	case u.chunk != "":
		allow = allowUploadChunk
		if r.Method == "PUT" {
			return h.putChunk(w, r, u)
		}
	case u.id != "":
		allow = allowUploadFolder
		switch r.Method {
		case "MKCOL":
			return h.createUpload(w, r, u)
		case "DELETE":
			return h.deleteUpload(w, u)
		}
	}
	switch r.Method {
	case "OPTIONS":
		writeOptions(w, allow)
		return 0, nil
	case "PROPFIND":
		if allow != allowUploadFile {
			return h.propfindUpload(w, r, u)
		}
	}
	w.Header().Set("Allow", allow)
	return http.StatusMethodNotAllowed, errors.New("method not allowed on an upload folder")
}

// createUpload serves MKCOL of an upload folder: 201, or 405 when the id
// exists (as Nextcloud), 507 over max-chunked-uploads-per-user. Its
// Destination, when sent, must name a file the view may write, and is
// kept with OC-Total-Length for the chunks and the MOVE to agree with.
func (h *Handler) createUpload(w http.ResponseWriter, r *http.Request, u *uploadReq) (int, error) {
	if r.ContentLength > 0 || len(r.TransferEncoding) > 0 {
		return http.StatusUnsupportedMediaType, errors.New("MKCOL with a body is not supported")
	}
	info := uploads.Info{TotalLength: -1}
	var err error
	if r.Header.Get("Destination") != "" {
		if info.Destination, _, err = u.files.uploadDestination(r); err != nil {
			return statusOf(err), err
		}
	}
	if info.TotalLength, err = totalLength(r); err != nil {
		return statusOf(err), err
	}
	if err := h.cfg.Uploads.Create(h.principal, u.id, info); err != nil {
		return uploadStatus(err), err
	}
	w.WriteHeader(http.StatusCreated)
	return 0, nil
}

// deleteUpload serves DELETE of an upload folder: the upload is aborted,
// its chunks removed (204; 404 when there is none, 423 while it is being
// assembled).
func (h *Handler) deleteUpload(w http.ResponseWriter, u *uploadReq) (int, error) {
	if err := h.cfg.Uploads.Remove(h.principal, u.id); err != nil {
		return uploadStatus(err), err
	}
	w.WriteHeader(http.StatusNoContent)
	return 0, nil
}

// totalLength reads OC-Total-Length, -1 when absent; malformed is 400.
func totalLength(r *http.Request) (int64, error) {
	v := r.Header.Get("OC-Total-Length")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(http.StatusBadRequest, "bad OC-Total-Length %q", v)
	}
	return n, nil
}

// uploadDestination resolves the Destination of a chunked upload's
// MKCOL, PUT or MOVE in the files view h, the way a PUT resolves its URL:
// the resource path, and the view to write it through (aliased when a
// symlink leads there). A Destination outside the view is 403 (502 when
// on another host), as are a reserved name, the view's root and a URL
// ending in a slash.
func (h *Handler) uploadDestination(r *http.Request) (string, *Handler, error) {
	raw := r.Header.Get("Destination")
	u, err := url.Parse(raw)
	if err != nil || raw == "" || (u.Host == "" && !strings.HasPrefix(u.Path, "/")) {
		return "", nil, errorf(http.StatusBadRequest, "missing or malformed Destination header")
	}
	if u.Host != "" && u.Host != r.Host {
		return "", nil, errorf(http.StatusBadGateway, "Destination is on another server")
	}
	asked, err := h.namePath(u.Path)
	if err != nil {
		if statusOf(err) == http.StatusBadRequest { // NUL or a control character
			return "", nil, errorf(http.StatusBadRequest, "malformed Destination: %w", err)
		}
		return "", nil, errorf(http.StatusForbidden, "Destination is not among your files")
	}
	p, err := h.realPath(asked, followsLast("PUT"))
	if err != nil {
		return "", nil, err
	}
	if st, err := h.checkDestination(asked, p, false); st != 0 {
		return "", nil, errorf(st, "%w", err)
	}
	switch {
	case h.fs.IsHidden(p):
		return "", nil, errorf(http.StatusForbidden, "reserved destination name (state folder or temp file)")
	case h.isRoot(p) || strings.HasSuffix(u.Path, "/"):
		return "", nil, errorf(http.StatusForbidden, "Destination names a collection, not a file")
	}
	if p != asked {
		return p, h.aliased(asked, p), nil
	}
	return p, h, nil
}

// uploadStatus maps the upload store's errors to statuses.
func uploadStatus(err error) int {
	switch {
	case errors.Is(err, uploads.ErrInvalidID), errors.Is(err, uploads.ErrInvalidChunk):
		return http.StatusBadRequest
	case errors.Is(err, uploads.ErrGap):
		return http.StatusBadRequest
	case errors.Is(err, uploads.ErrBusy):
		return http.StatusLocked
	case errors.Is(err, uploads.ErrTooMany), errors.Is(err, uploads.ErrTooManyBytes),
		errors.Is(err, uploads.ErrTooManyChunks):
		return http.StatusInsufficientStorage
	case errors.Is(err, uploads.ErrNotExist), errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, uploads.ErrExist):
		return http.StatusMethodNotAllowed
	}
	return putStatus(err)
}

// propfindUpload answers PROPFIND of the uploads home (its uploads at
// Depth 1) or of an upload folder (its chunks at Depth 1), or of a chunk,
// with the properties a client needs to resume: resourcetype,
// getcontentlength, getlastmodified. The body, if any, is read (bounded)
// and not looked at: every member gets the same few properties.
func (h *Handler) propfindUpload(w http.ResponseWriter, r *http.Request, u *uploadReq) (int, error) {
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, h.cfg.MaxXMLBytes)); err != nil {
		return statusOf(err), err
	}
	deep := r.Header.Get("Depth") != "0"
	var rows []uploadRow
	var err error
	switch {
	case u.id == "":
		rows, err = h.uploadHomeRows(u, deep)
	default:
		rows, err = h.uploadFolderRows(u, deep)
	}
	if err != nil {
		return uploadStatus(err), err
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">")
	for _, row := range rows {
		row.write(&b)
	}
	b.WriteString("</D:multistatus>\n")
	_, err = io.WriteString(w, b.String())
	return 0, err
}

// uploadRow is one member of an upload PROPFIND.
type uploadRow struct {
	href       string
	collection bool
	size       int64
	mod        time.Time
}

func (row uploadRow) write(b *strings.Builder) {
	b.WriteString("<D:response><D:href>" + escape(row.href) + "</D:href><D:propstat><D:prop>")
	if row.collection {
		b.WriteString("<D:resourcetype><D:collection/></D:resourcetype>")
	} else {
		b.WriteString("<D:resourcetype/><D:getcontentlength>" + strconv.FormatInt(row.size, 10) + "</D:getcontentlength>")
	}
	b.WriteString("<D:getlastmodified>" + row.mod.UTC().Format(http.TimeFormat) + "</D:getlastmodified>")
	b.WriteString("</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>")
}

// uploadHref is the escaped href of an upload member.
func uploadHref(prefix string, parts ...string) string {
	p := prefix + "/"
	for i, s := range parts {
		p += s
		if i < len(parts)-1 {
			p += "/"
		}
	}
	return (&url.URL{Path: p}).EscapedPath()
}

// uploadHomeRows lists the uploads home and, deep, its uploads.
func (h *Handler) uploadHomeRows(u *uploadReq, deep bool) ([]uploadRow, error) {
	rows := []uploadRow{{href: uploadHref(u.prefix), collection: true, mod: time.Now()}}
	if !deep {
		return rows, nil
	}
	ups, err := h.cfg.Uploads.List(h.principal)
	for _, up := range ups {
		rows = append(rows, uploadRow{href: uploadHref(u.prefix, up.ID) + "/", collection: true, mod: up.ModTime})
	}
	return rows, err
}

// uploadFolderRows lists an upload folder and, deep, its chunks; or one
// chunk.
func (h *Handler) uploadFolderRows(u *uploadReq, deep bool) ([]uploadRow, error) {
	_, mod, err := h.cfg.Uploads.Info(h.principal, u.id)
	if err != nil {
		return nil, err
	}
	chunks, err := h.cfg.Uploads.Chunks(h.principal, u.id)
	if err != nil {
		return nil, err
	}
	var rows []uploadRow
	if u.chunk == "" {
		rows = append(rows, uploadRow{href: uploadHref(u.prefix, u.id) + "/", collection: true, mod: mod})
	}
	for _, c := range chunks {
		if (u.chunk == "" && deep) || c.Name == u.chunk {
			rows = append(rows, uploadRow{href: uploadHref(u.prefix, u.id, c.Name), size: c.Size, mod: c.ModTime})
		}
	}
	if len(rows) == 0 {
		return nil, uploads.ErrNotExist
	}
	return rows, nil
}

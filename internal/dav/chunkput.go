package dav

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"strings"

	"github.com/atomdav/atomdav/storage/uploads"
)

// putChunk serves PUT of a chunk: the body, bounded as a PUT's (size,
// idle time and rate, an upload slot), replaces any chunk of that name
// whole (201 new, 204 replaced). Destination and OC-Total-Length, when
// sent, must agree with what the MKCOL said (400 otherwise); a range
// name ("<start>-<end>") must have its length; the chunks together may
// not pass max-upload-bytes (413).
func (h *Handler) putChunk(w http.ResponseWriter, r *http.Request, u *uploadReq) (int, error) {
	if _, partial := r.Header["Content-Range"]; partial {
		return http.StatusBadRequest, errors.New("PUT with Content-Range (a partial update) is not supported")
	}
	info, _, err := h.cfg.Uploads.Info(h.principal, u.id)
	if err != nil {
		return uploadStatus(err), err
	}
	if st, err := u.agrees(r, info); st != 0 {
		return st, err
	}
	sum, err := parseChunkChecksum(r.Header.Get("OC-Checksum"))
	if err != nil {
		return statusOf(err), err
	}
	body, done, err := h.chunkBody(w, r, u)
	if err != nil {
		return statusOf(err), err
	}
	defer done()
	release, err := h.uploads.take(h.principal)
	if err != nil {
		return refuseUpload(w, err)
	}
	defer release()
	c, _ := uploads.ParseChunk(u.chunk) // checked by serveUploads
	if info.Destination != "" && c.End < 0 && (c.Start < 1 || c.Start > uploads.MaxChunks) {
		return http.StatusBadRequest, fmt.Errorf("chunk %s: chunking v2 numbers chunks 1 to %d", c.Name, uploads.MaxChunks)
	}
	check := func(n int64) error {
		if c.End >= 0 && n != c.End-c.Start+1 {
			return errorf(http.StatusBadRequest, "chunk %s has %d bytes, its name says %d", c.Name, n, c.End-c.Start+1)
		}
		return sum.verify()
	}
	replaced, _, err := h.cfg.Uploads.WriteChunk(h.principal, u.id, u.chunk, sum.reader(body), r.ContentLength, check)
	if err != nil {
		return uploadStatus(err), err
	}
	if replaced {
		w.WriteHeader(http.StatusNoContent)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	return 0, nil
}

// chunkChecksum is a chunk's OC-Checksum: the digest its bytes must have.
// Chunks are checked for SHA1, MD5 and SHA256; another algorithm is left
// to the OC-Checksum of the MOVE that assembles them, which PUT's
// pipeline checks against the whole file.
type chunkChecksum struct {
	h    hash.Hash // nil: nothing to check
	want string
}

// parseChunkChecksum reads OC-Checksum ("ALGO:hex", the first of several);
// a malformed digest of a known algorithm is 400.
func parseChunkChecksum(v string) (*chunkChecksum, error) {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return &chunkChecksum{}, nil
	}
	algo, want, _ := strings.Cut(fields[0], ":")
	c := &chunkChecksum{want: strings.ToLower(want)}
	switch strings.ToUpper(algo) {
	case "SHA1":
		c.h = sha1.New()
	case "MD5":
		c.h = md5.New()
	case "SHA256":
		c.h = sha256.New()
	default:
		return &chunkChecksum{}, nil
	}
	if len(c.want) != 2*c.h.Size() || strings.Trim(c.want, "0123456789abcdef") != "" {
		return nil, errorf(http.StatusBadRequest, "malformed OC-Checksum %q", v)
	}
	return c, nil
}

// reader makes body's bytes pass through the digest.
func (c *chunkChecksum) reader(body io.Reader) io.Reader {
	if c.h == nil {
		return body
	}
	return io.TeeReader(body, c.h)
}

// verify refuses (400) bytes that do not have the digest.
func (c *chunkChecksum) verify() error {
	if c.h != nil && hex.EncodeToString(c.h.Sum(nil)) != c.want {
		return errorf(http.StatusBadRequest, "chunk does not match OC-Checksum (%s)", c.want)
	}
	return nil
}

// agrees checks a chunk's or an assembly's Destination and OC-Total-Length
// against what the upload's MKCOL said: 400 when they differ.
func (u *uploadReq) agrees(r *http.Request, info uploads.Info) (int, error) {
	total, err := totalLength(r)
	if err != nil {
		return statusOf(err), err
	}
	if total >= 0 && info.TotalLength >= 0 && total != info.TotalLength {
		return http.StatusBadRequest, fmt.Errorf("OC-Total-Length %d, the upload began with %d", total, info.TotalLength)
	}
	if r.Header.Get("Destination") == "" || info.Destination == "" {
		return 0, nil
	}
	dest, _, err := u.files.uploadDestination(r)
	if err != nil {
		return statusOf(err), err
	}
	if dest != info.Destination {
		return http.StatusBadRequest, errors.New("Destination is not the one the upload began with")
	}
	return 0, nil
}

// chunkBody bounds a chunk's body as handlePut bounds a PUT's: the
// chunks of an upload together may not pass MaxUploadBytes (413), and
// the body must keep arriving (408). done releases the idle bound.
func (h *Handler) chunkBody(w http.ResponseWriter, r *http.Request, u *uploadReq) (io.Reader, func(), error) {
	var body io.Reader = r.Body
	if max := h.cfg.MaxUploadBytes; max > 0 {
		chunks, err := h.cfg.Uploads.Chunks(h.principal, u.id)
		if err != nil {
			return nil, nil, err
		}
		left := max
		for _, c := range chunks {
			if c.Name != u.chunk {
				left -= c.Size
			}
		}
		if left < 0 || r.ContentLength > left {
			return nil, nil, errorf(http.StatusRequestEntityTooLarge, "the upload's chunks would pass max-upload-bytes (%d)", max)
		}
		body = http.MaxBytesReader(w, r.Body, left)
	}
	if ub := newUploadBody(body, w, &h.cfg); ub != nil {
		return ub, ub.done, nil
	}
	return body, func() {}, nil
}

// assembleUpload serves MOVE of <id>/.file: the chunks, in order and
// with no gap (400), become the content of Destination through PUT's
// pipeline (putContent): If-Match/If-None-Match, If and locks (423),
// OC-Checksum and X-OC-Mtime, the atomic fsynced rename, 201 or 204 with
// the ETag. OC-Total-Length, when sent, must be the chunks' total (400),
// which may not pass max-upload-bytes (413). Overwrite: F onto an
// existing file is 412. On success the upload is removed; on a refusal
// it stays for another try. An upload being assembled or written is 423
// (rclone waits and retries).
func (h *Handler) assembleUpload(w http.ResponseWriter, r *http.Request, u *uploadReq) (int, error) {
	dest, files, err := u.files.uploadDestination(r)
	if err != nil {
		return statusOf(err), err
	}
	a, err := h.cfg.Uploads.Open(h.principal, u.id)
	if err != nil {
		return uploadStatus(err), err
	}
	defer a.Close()
	if st, err := u.agrees(r, a.Info); st != 0 {
		return st, err
	}
	size, err := uploads.Whole(a.Chunks, a.Info.Destination != "")
	if err != nil {
		return uploadStatus(err), err
	}
	if st, err := h.checkAssembly(r, files, dest, size, a.Info.TotalLength); st != 0 {
		return st, err
	}
	meta, err := parseUploadMeta(r)
	if err != nil {
		return statusOf(err), err
	}
	meta.expected = size // the chunks must be read whole
	if st, err := files.putContent(w, r, dest, a.Reader(), meta); st != 0 || err != nil {
		return st, err
	}
	if err := a.Remove(); err != nil && h.cfg.OnError != nil {
		h.cfg.OnError(r, fmt.Errorf("chunked upload assembled, its folder not removed (the sweep will): %w", err))
	}
	return 0, nil
}

// checkAssembly refuses an assembly of size bytes whose OC-Total-Length
// (or the one its MKCOL said) is another (400), over max-upload-bytes
// (413), or with Overwrite: F onto an existing file (412).
func (h *Handler) checkAssembly(r *http.Request, files *Handler, dest string, size, began int64) (int, error) {
	total, err := totalLength(r)
	if err != nil {
		return statusOf(err), err
	}
	if total < 0 {
		total = began
	}
	if total >= 0 && total != size {
		return http.StatusBadRequest, fmt.Errorf("the chunks hold %d bytes, OC-Total-Length says %d", size, total)
	}
	if max := h.cfg.MaxUploadBytes; max > 0 && size > max {
		return http.StatusRequestEntityTooLarge, fmt.Errorf("the chunks hold %d bytes, over max-upload-bytes (%d)", size, max)
	}
	switch r.Header.Get("Overwrite") {
	case "", "T", "t":
	case "F", "f":
		if _, err := files.fs.Stat(r.Context(), dest); err == nil {
			return http.StatusPreconditionFailed, errors.New("Overwrite: F and the destination exists")
		} else if !errors.Is(err, fs.ErrNotExist) {
			return statusOf(err), err
		}
	default:
		return http.StatusBadRequest, errors.New("Overwrite must be T or F")
	}
	return 0, nil
}

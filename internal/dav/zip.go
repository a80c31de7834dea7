package dav

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// A folder is downloaded as one zip with GET folder/?zip (or
// ?download=zip), as the web page's "Download as zip" link asks. The
// archive is written to the response while the tree is walked: no temp
// file, memory bounded by one folder's names and the deflater's window,
// whatever the folder holds. Its members are what the listings show: the
// state folder, temp files and whatever h.listed hides are left out, so
// are names with control characters; a symlink is followed only to a file
// inside the view's root (a symlinked folder is left out, so no loop and
// no tree twice). Config.MaxZipBytes bounds the file bytes (413 before
// anything is sent when the walk finds more) and Config.MaxZips the zips
// sent at once (503). The walk stops when the client goes away.

// errTooManyZips is the refusal of a zip over Config.MaxZips: a load the
// clients make, not a server failure.
var errTooManyZips = errors.New("dav: too many zips in progress")

// errZipTooBig is the refusal of a zip over Config.MaxZipBytes.
var errZipTooBig = errors.New("dav: folder too big for one zip")

// zipErrorName is the member that says a zip stopped short: the folder
// grew past Config.MaxZipBytes while it was being sent, after the 200.
const zipErrorName = "atomdav-zip-error.txt"

// wantsZip reports whether a GET of a folder asks for it as a zip: the
// query holds a "zip" key (any value), or download=zip.
func wantsZip(rawQuery string) bool {
	q, err := url.ParseQuery(rawQuery)
	if err != nil && len(q) == 0 {
		return false
	}
	if _, ok := q["zip"]; ok {
		return true
	}
	return q.Get("download") == "zip"
}

// zipSlots bounds the zips sent at once; nil when there is no bound.
type zipSlots chan struct{}

func newZipSlots(n int) zipSlots {
	if n <= 0 {
		return nil
	}
	return make(zipSlots, n)
}

// take reserves a slot or fails at once; release gives it back.
func (s zipSlots) take() (release func(), err error) {
	if s == nil {
		return func() {}, nil
	}
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	default:
		return nil, &Error{Status: http.StatusServiceUnavailable, Err: errTooManyZips,
			Public: fmt.Sprintf("the server is sending as many zips as it sends at once (%d); retry when one has finished", cap(s))}
	}
}

// zipItem is one member of a zip: its Real name, its name in the
// archive, and its Stat.
type zipItem struct {
	real, name string
	fi         fs.FileInfo
}

// serveZip answers GET (or HEAD) folder/?zip for the collection p.
func (h *Handler) serveZip(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	release, err := h.zips.take()
	if err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(uploadRetryAfter/time.Second)))
		return http.StatusServiceUnavailable, err
	}
	defer release()
	ctx := r.Context()
	var total int64
	err = h.walkZip(ctx, p, "", func(it zipItem) error {
		if !it.fi.IsDir() {
			total += it.fi.Size()
		}
		if max := h.cfg.MaxZipBytes; max > 0 && total > max {
			return &Error{Status: http.StatusRequestEntityTooLarge, Err: errZipTooBig,
				Public: fmt.Sprintf("the folder holds more than the %s one zip may hold; download its subfolders or files instead", humanSize(max))}
		}
		return nil
	})
	if err != nil {
		return statusOf(err), err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/zip")
	hdr.Set("Content-Disposition", contentDisposition(zipName(h.named(p), h.isRoot(p))))
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return 0, nil
	}
	return 0, h.writeZip(ctx, w, p)
}

// writeZip streams the archive of p's tree to w.
func (h *Handler) writeZip(ctx context.Context, w io.Writer, p string) error {
	zw := zip.NewWriter(w)
	var sent int64
	err := h.walkZip(ctx, p, "", func(it zipItem) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if it.fi.IsDir() {
			_, err := zw.CreateHeader(&zip.FileHeader{Name: it.name + "/", Modified: it.fi.ModTime(), Method: zip.Store})
			return err
		}
		if max := h.cfg.MaxZipBytes; max > 0 && sent+it.fi.Size() > max {
			return errZipTooBig
		}
		n, err := h.zipFile(zw, it)
		sent += n
		return err
	})
	if errors.Is(err, errZipTooBig) {
		msg := "This zip is incomplete: the folder grew past the " + humanSize(h.cfg.MaxZipBytes) +
			" one zip may hold while it was being sent.\n"
		if fw, cerr := zw.Create(zipErrorName); cerr == nil {
			io.WriteString(fw, msg)
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("dav: sending a zip: %w", err)
	}
	return zw.Close()
}

// zipFile adds one file to zw: opened by its Real name, and left out if
// that no longer leads to the same place (a symlink put there meanwhile)
// or to a regular file. It copies at most the size the walk saw.
func (h *Handler) zipFile(zw *zip.Writer, it zipItem) (int64, error) {
	f, real, err := h.fs.OpenReal(it.real)
	if err != nil {
		return 0, nil // vanished since the walk: left out
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || real != it.real || !fi.Mode().IsRegular() {
		return 0, nil
	}
	fh, err := zip.FileInfoHeader(fi)
	if err != nil {
		return 0, err
	}
	fh.Name, fh.Method = it.name, zipMethod(it.name)
	fw, err := zw.CreateHeader(fh)
	if err != nil {
		return 0, err
	}
	return io.Copy(fw, io.LimitReader(f, fi.Size()))
}

// storedExts are the file types that are compressed already: deflating
// them again costs CPU for nothing, so they are stored as they are.
var storedExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true, ".heic": true, ".avif": true,
	".mp4": true, ".mkv": true, ".mov": true, ".webm": true, ".mp3": true, ".m4a": true, ".ogg": true, ".opus": true, ".flac": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true,
	".docx": true, ".xlsx": true, ".pptx": true, ".odt": true, ".ods": true, ".odp": true, ".epub": true, ".jar": true, ".apk": true,
}

// zipMethod is how a member named name is put in a zip: stored when it is
// compressed already (by its extension), else deflated.
func zipMethod(name string) uint16 {
	if storedExts[strings.ToLower(path.Ext(name))] {
		return zip.Store
	}
	return zip.Deflate
}

// walkZip calls visit for each member of the collection dir, depth first,
// parents before their members, named in the archive below prefix.
func (h *Handler) walkZip(ctx context.Context, dir, prefix string, visit func(zipItem) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := h.fs.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		child := path.Join(dir, e.Name())
		if !h.listed(child) || hasControl(e.Name()) {
			continue
		}
		fi, real, err := h.memberInfo(ctx, child, e)
		switch {
		case err != nil: // vanished, or a symlink leading out
			continue
		case real != child && (fi.IsDir() || !h.listed(real)):
			continue // a symlinked folder, or a link to a hidden file
		case !fi.IsDir() && !fi.Mode().IsRegular():
			continue // devices, sockets, pipes
		}
		it := zipItem{real: real, name: prefix + e.Name(), fi: fi}
		if err := visit(it); err != nil {
			return err
		}
		if fi.IsDir() {
			if err := h.walkZip(ctx, child, it.name+"/", visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// zipName is the file name a zip of the folder named p is saved as: its
// base name, "files" for the view's root.
func zipName(p string, root bool) string {
	name := path.Base(p)
	if root || name == "/" || name == "." || name == "" {
		name = "files"
	}
	return name + ".zip"
}

// contentDisposition is an attachment header for name (RFC 6266): an
// ASCII fallback in filename, the exact name UTF-8 percent-encoded in
// filename* (RFC 8187).
func contentDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + rfc8187(name)
}

// rfc8187 percent-encodes s but for its attr-chars (RFC 8187 §3.2.1).
func rfc8187(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

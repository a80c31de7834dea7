package dav

import (
	"embed"
	"html/template"
	"net/http"
	"os"
	"path"
	"sort"
	"time"
)

// handleGet serves a file with http.ServeContent over its *os.File
// (ranges, conditional GET, sendfile), with the ETag and Content-Type that
// PROPFIND reports, and a collection with an HTML listing. It replaces
// x/net/webdav's GET, which cannot serve a per-user view and sniffs
// content for a type PROPFIND does not report.
func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	local, err := h.fs.Resolve(p)
	if err != nil {
		return statusOf(err), err
	}
	f, err := os.Open(local)
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

//go:embed listing.html
var listingFS embed.FS

var listingTmpl = template.Must(template.ParseFS(listingFS, "listing.html"))

// listingEntry is one row of a collection listing.
type listingEntry struct {
	Name, Href string
	Dir        bool
	Size       int64
	Modified   time.Time
}

func (h *Handler) listing(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	local, err := h.fs.Resolve(p)
	if err != nil {
		return statusOf(err), err
	}
	entries, err := os.ReadDir(local)
	if err != nil {
		return statusOf(err), err
	}
	rows := make([]listingEntry, 0, len(entries))
	for _, e := range entries {
		child := path.Join(p, e.Name())
		if h.fs.IsHidden(child) {
			continue
		}
		fi, err := h.memberInfo(child, e)
		if err != nil {
			continue
		}
		rows = append(rows, listingEntry{Name: e.Name(), Href: h.href(child, fi.IsDir()), Dir: fi.IsDir(), Size: fi.Size(), Modified: fi.ModTime()})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Dir && !rows[j].Dir })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == "HEAD" {
		return 0, nil
	}
	parent := ""
	if p != "/" {
		parent = h.href(path.Dir(p), true)
	}
	return 0, listingTmpl.Execute(w, map[string]any{"Path": p, "Parent": parent, "Entries": rows})
}

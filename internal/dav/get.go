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

// handleGet serves files through x/net/webdav (http.ServeContent over the
// *os.File: ranges, conditional GET, sendfile) and collections with an HTML
// listing, where x/net/webdav answers 405.
func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	fi, err := h.fs.Stat(r.Context(), p)
	if err != nil {
		return statusOf(err), err
	}
	if !fi.IsDir() {
		h.xnet.ServeHTTP(w, r)
		return 0, nil
	}
	return h.listing(w, r, p)
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

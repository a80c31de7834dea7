package dav

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// listing answers GET and HEAD on a collection. RFC 4918 §9.4 leaves GET
// on a collection to the server. Browsers (Accept lists text/html) get an
// HTML page; every other client gets 200 and a text/plain list, one name
// a line, folders with a trailing slash. We chose 200 over the 405 of
// x/net/webdav because the clients that GET a collection do so by
// mistake or to probe it (Apache, nginx and IIS all answer 200 there, and
// a 405 makes some clients report the folder broken), and because plain
// text is what curl and scripts want, where HTML would be noise. Both
// share the order of ?sort=name|size|modified&order=asc|desc (folders
// first), are built in memory so HEAD sends the same headers, with
// Content-Length, and carry Vary: Accept.
func (h *Handler) listing(w http.ResponseWriter, r *http.Request, p string) (int, error) {
	rows, err := h.listingRows(r.Context(), p)
	if err != nil {
		return statusOf(err), err
	}
	key, desc := listingOrder(r.URL.Query())
	sortListing(rows, key, desc)

	var body bytes.Buffer
	hdr := w.Header()
	if wantsHTML(r) {
		if err := listingTmpl.Execute(&body, h.listingPage(p, rows, key, desc)); err != nil {
			return http.StatusInternalServerError, fmt.Errorf("dav: rendering the listing: %w", err)
		}
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Content-Security-Policy", listingCSP)
		hdr.Set("Referrer-Policy", "no-referrer")
	} else {
		for _, e := range rows {
			body.WriteString(e.Name)
			if e.Dir {
				body.WriteByte('/')
			}
			body.WriteByte('\n')
		}
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
	}
	hdr.Set("Cache-Control", "no-cache")
	hdr.Add("Vary", "Accept")
	hdr.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body.Bytes())
	}
	return 0, nil
}

// listingEntry is one row of a collection listing.
type listingEntry struct {
	Name, Href string
	Path       string // the member's resource path
	Dir        bool
	Size       int64
	Modified   time.Time
}

// listingRows reads collection p's members, leaving out the state folder,
// temp files, symlinks leading out of the view's root and names with control
// characters (their URLs are refused with 400, and they would break the
// one-name-a-line text listing).
func (h *Handler) listingRows(ctx context.Context, p string) ([]listingEntry, error) {
	entries, err := h.fs.ReadDir(p)
	if err != nil {
		return nil, err
	}
	rows := make([]listingEntry, 0, len(entries))
	for _, e := range entries {
		child := path.Join(p, e.Name())
		if !h.listed(child) || hasControl(e.Name()) {
			continue
		}
		fi, _, err := h.memberInfo(ctx, child, e)
		if err != nil {
			continue // vanished, or a symlink leading out: not listed
		}
		rows = append(rows, listingEntry{Name: e.Name(), Href: h.href(child, fi.IsDir()), Path: child, Dir: fi.IsDir(), Size: fi.Size(), Modified: fi.ModTime()})
	}
	return rows, nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 })
}

// wantsHTML reports whether r's Accept header lists text/html with a
// non-zero quality, as browsers do when they navigate.
func wantsHTML(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(mt), "text/html") {
				return !zeroQuality(params)
			}
		}
	}
	return false
}

// zeroQuality reports whether media-type parameters hold q=0 (RFC 9110
// §12.4.2: "not acceptable").
func zeroQuality(params string) bool {
	for param := range strings.SplitSeq(params, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(param), "=")
		if strings.EqualFold(name, "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			return err == nil && q == 0
		}
	}
	return false
}

// listingKeys are the columns a listing sorts by, as ?sort= names them.
var listingKeys = []string{"name", "size", "modified"}

// listingOrder reads ?sort= and ?order=; anything unknown means name,
// ascending.
func listingOrder(q url.Values) (key string, desc bool) {
	key = q.Get("sort")
	if !slices.Contains(listingKeys, key) {
		key = "name"
	}
	return key, q.Get("order") == "desc"
}

// sortListing orders rows folders first, then by key (ties by name), in
// reverse when desc. listing.js sorts the same way in the browser.
func sortListing(rows []listingEntry, key string, desc bool) {
	slices.SortStableFunc(rows, func(a, b listingEntry) int {
		if a.Dir != b.Dir {
			if a.Dir {
				return -1
			}
			return 1
		}
		c := 0
		switch key {
		case "size":
			c = compareInt(sortSize(a), sortSize(b))
		case "modified":
			c = compareInt(a.Modified.UnixMilli(), b.Modified.UnixMilli())
		}
		if c == 0 {
			c = compareNames(a.Name, b.Name)
		}
		if desc {
			return -c
		}
		return c
	})
}

// sortSize is a row's size for sorting; a folder has none.
func sortSize(e listingEntry) int64 {
	if e.Dir {
		return -1
	}
	return e.Size
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareNames orders names case-insensitively, then by their bytes.
func compareNames(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

//go:embed listing.html listing.css listing.js
var listingFS embed.FS

var (
	listingTmpl = template.Must(template.ParseFS(listingFS, "listing.html"))
	listingCSS  = mustRead("listing.css")
	listingJS   = mustRead("listing.js")
	// listingCSP allows only the page's own inline style and script, by
	// hash: a file name is never code, even if escaping failed.
	// connect-src lets the script send the page's WebDAV requests to the
	// server itself, and nowhere else.
	listingCSP = "default-src 'none'; style-src " + cspHash(listingCSS) + "; script-src " + cspHash(listingJS) +
		"; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

func mustRead(name string) string {
	b, err := fs.ReadFile(listingFS, name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// listingPage is what listing.html renders.
type listingPage struct {
	Path    string // the collection's URL path, unescaped, prefix included
	Crumbs  []crumb
	Columns []column
	Rows    []listingRow
	Summary string
	// Self is the collection's escaped URL path, which the script's
	// requests start from.
	Self string
	// MayWrite shows the controls that change the folder (to script
	// only); ChunkUploads and ChunkDest are the chunked-upload URLs the
	// page uploads files larger than ChunkSize through, empty when off.
	MayWrite                bool
	ChunkUploads, ChunkDest string
	ChunkSize               int64
	CSS                     template.CSS
	JS                      template.JS
}

// crumb is one ancestor in the breadcrumb trail; the last is the page.
type crumb struct {
	Name, Href string
	Current    bool
}

// column is a sortable table header. Href sorts by it without script:
// ascending, or the other way if it is the current order.
type column struct {
	Key, Label, Href string
	Note             string // hidden on narrow screens
	Numeric          bool
	Sort             string // aria-sort: "ascending", "descending" or ""
}

// listingRow is a listingEntry formatted for the page.
type listingRow struct {
	listingEntry
	SizeText, SizeTitle string
	MTime               int64 // Unix milliseconds, for listing.js
	// MayWrite offers Rename and Delete on the row (to script only).
	MayWrite         bool
	ISO, Date, Clock string
}

func (h *Handler) listingPage(p string, rows []listingEntry, key string, desc bool) listingPage {
	self := h.href(p, true)
	display, err := url.PathUnescape(self)
	if err != nil {
		display = self
	}
	pg := listingPage{Path: display, Crumbs: h.crumbs(h.named(p)), Self: self, MayWrite: h.pageMayWrite(p), ChunkSize: pageChunkSize,
		CSS: template.CSS(listingCSS), JS: template.JS(listingJS)}
	if pg.MayWrite {
		pg.ChunkUploads, pg.ChunkDest = h.chunkURLs(p)
	}
	labels := map[string]string{"name": "Name", "size": "Size", "modified": "Modified"}
	for _, k := range listingKeys {
		c := column{Key: k, Label: labels[k], Numeric: k == "size", Href: "?sort=" + k + "&order=asc"}
		if k == "modified" {
			c.Note = " (UTC)"
		}
		if k == key {
			c.Sort = "ascending"
			if desc {
				c.Sort = "descending"
			} else {
				c.Href = "?sort=" + k + "&order=desc"
			}
		}
		pg.Columns = append(pg.Columns, c)
	}
	var dirs, files int
	var total int64
	for _, e := range rows {
		m := e.Modified.UTC()
		row := listingRow{listingEntry: e, MTime: m.UnixMilli(), ISO: m.Format(time.RFC3339),
			Date: m.Format("2006-01-02"), Clock: m.Format("15:04"), MayWrite: pg.MayWrite && h.pageMayWrite(e.Path)}
		if e.Dir {
			dirs++
		} else {
			files++
			total += e.Size
			row.SizeText, row.SizeTitle = humanSize(e.Size), exactSize(e.Size)
		}
		pg.Rows = append(pg.Rows, row)
	}
	pg.Summary = fmt.Sprintf("%s, %s, %s", plural(dirs, "folder"), plural(files, "file"), humanSize(total))
	return pg
}

// crumbs is the trail from the view's root down to p (by the name the
// client used), each a link.
func (h *Handler) crumbs(p string) []crumb {
	var out []crumb
	for q := p; ; q = path.Dir(q) {
		top := q == "/" || q == h.root
		name := path.Base(q)
		if top {
			name = "Home"
		}
		out = append(out, crumb{Name: name, Href: h.hrefOf(q, true), Current: q == p})
		if top {
			break
		}
	}
	slices.Reverse(out)
	return out
}

// humanSize formats n bytes with binary units: "512 B", "1.5 KiB", "12 MiB".
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, unit := float64(n), -1
	for v >= 1024 && unit < len("KMGTPE")-1 {
		v /= 1024
		unit++
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[unit])
	}
	return fmt.Sprintf("%.0f %ciB", v, "KMGTPE"[unit])
}

// exactSize is n with thousands separators: "1,234,567 bytes".
func exactSize(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if n == 1 {
		return "1 byte"
	}
	return b.String() + " bytes"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

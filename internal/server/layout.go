package server

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/atomdav/atomdav/internal/dav"
)

// The URL paths of Nextcloud's and ownCloud's layout, below the share's
// prefix: what their clients append to the server address a user types.
const (
	ncRemote  = "/remote.php"
	ncWebdav  = "/remote.php/webdav"      // ownCloud's older layout: the user's files
	ncDAV     = "/remote.php/dav"         // Nextcloud's DAV root
	ncFiles   = "/remote.php/dav/files"   // + /<user>: the user's files
	ncUploads = "/remote.php/dav/uploads" // + /<user>: their chunked uploads
	ncStatus  = "/status.php"
	ncOCSv1   = "/ocs/v1.php"
	ncOCSv2   = "/ocs/v2.php"
)

// layout serves the Nextcloud/ownCloud URL layout (Config.NextcloudURLs):
// each user's view, the one the gate picks for them, mounted at
// /remote.php/dav/files/<user> and /remote.php/webdav, plus status.php
// and the OCS endpoints clients probe before they sync. The URLs lie
// below the share's prefix, which is the server address clients are
// given. While it is on, these names of the share's root are the layout's,
// not files of the share.
type layout struct {
	base string // the share's prefix without its trailing slash ("" for /)
	// files and webdav are each user's view mounted at the layout's URLs,
	// built once; anonWebdav is the anonymous view at the webdav URL.
	files, webdav map[string]*dav.Handler
	anonWebdav    *dav.Handler
	// anonOnly: no users are configured, so an anonymous request may name
	// any user in /remote.php/dav/files/<user>/ and gets the anonymous
	// view there; with users, such a request gets 401 whatever the name,
	// so that a client sends its credentials and no name is confirmed.
	anonOnly bool
	caps     capabilities
}

// newLayout mounts every view of g at the layout's URLs.
func newLayout(g *gate, base string, caps capabilities) *layout {
	l := &layout{
		base:     strings.TrimSuffix(base, "/"),
		files:    make(map[string]*dav.Handler, len(g.views)),
		webdav:   make(map[string]*dav.Handler, len(g.views)),
		anonOnly: len(g.views) == 0,
		caps:     caps,
	}
	for name, v := range g.views {
		l.files[name] = v.Mounted(l.base + ncFiles + "/" + name)
		l.webdav[name] = v.Mounted(l.base + ncWebdav)
	}
	if g.anon != nil {
		l.anonWebdav = g.anon.Mounted(l.base + ncWebdav)
	}
	return l
}

// target is what the gate serves a request through: a view, with the
// URL prefixes of a chunked upload when uploads is set; a nil view when
// the request has been answered.
type target struct {
	view           *dav.Handler
	uploads, files string
}

// place is where a URL path lies in the layout.
type place int

const (
	outside       place = iota // not the layout's: the plain share
	atStatus                   // status.php
	atOCS                      // /ocs/v1.php/…, /ocs/v2.php/…
	atWebdav                   // /remote.php/webdav/…
	atDAVRoot                  // /remote.php/dav/
	atFilesRoot                // /remote.php/dav/files/
	atFiles                    // /remote.php/dav/files/<user>/…
	atUploadsRoot              // /remote.php/dav/uploads/
	atUploads                  // /remote.php/dav/uploads/<user>/…
	atUnknown                  // another path below /remote.php
)

// locate says where the URL path p (decoded, below the prefix or not)
// lies, and for atFiles and atUploads the user it names. p is cleaned
// first, so that dot segments cannot lead around the layout to a folder
// of the share it hides.
func (l *layout) locate(p string) (where place, user, rest string) {
	rest, ok := strings.CutPrefix(cleanURLPath(p), l.base)
	if !ok || rest != "" && rest[0] != '/' {
		return outside, "", ""
	}
	switch {
	case rest == ncStatus:
		return atStatus, "", rest
	case under(rest, ncOCSv1), under(rest, ncOCSv2):
		return atOCS, "", rest
	case !under(rest, ncRemote):
		return outside, "", ""
	case under(rest, ncWebdav):
		return atWebdav, "", rest
	case strings.TrimSuffix(rest, "/") == ncDAV:
		return atDAVRoot, "", rest
	case strings.TrimSuffix(rest, "/") == ncFiles:
		return atFilesRoot, "", rest
	case strings.TrimSuffix(rest, "/") == ncUploads:
		return atUploadsRoot, "", rest
	case under(rest, ncFiles):
		return atFiles, firstSegment(rest[len(ncFiles)+1:]), rest
	case under(rest, ncUploads):
		return atUploads, firstSegment(rest[len(ncUploads)+1:]), rest
	}
	return atUnknown, "", rest
}

// under reports whether p is dir or lies below it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir) && p[len(dir)] == '/'
}

// firstSegment is s up to its first slash.
func firstSegment(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}

// cleanURLPath is path.Clean of p keeping a trailing slash; it allocates
// nothing for a path that is clean already (every request's path is
// looked at here).
func cleanURLPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	c := path.Clean(p)
	if c != "/" && strings.HasSuffix(p, "/") {
		if p[:len(p)-1] == c {
			return p
		}
		c += "/"
	}
	return c
}

// withCleanPath returns r with its URL path cleaned (see locate), so the
// view finds its mount prefix in it; r itself when it was clean already.
func withCleanPath(r *http.Request) *http.Request {
	c := cleanURLPath(r.URL.Path)
	if c == r.URL.Path {
		return r
	}
	r2 := r.WithContext(r.Context())
	u := *r.URL
	u.Path, u.RawPath = c, ""
	r2.URL = &u
	return r2
}

// pickNextcloud is pick for a request in the layout (where is not
// outside): it answers status.php, OCS and the layout's virtual
// collections itself, and otherwise authenticates the request as the gate
// does for the plain layout and returns the view mounted where the URL
// says, once the user the URL names is found to be the authenticated one.
func (g *gate) pickNextcloud(w http.ResponseWriter, r *http.Request, where place, named string) (target, *http.Request) {
	// As the views do for theirs: no answer of the layout is sniffed.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch where {
	case atStatus:
		writeStatus(w, r)
		return target{}, r
	case atOCS:
		g.serveOCS(w, r)
		return target{}, r
	case atUnknown:
		http.Error(w, "404 Not Found: no such Nextcloud service", http.StatusNotFound)
		return target{}, r
	}
	view, r, user := g.route(w, r)
	if view == nil {
		return target{}, r
	}
	l := g.nc
	anon := view == g.anon
	switch where {
	case atWebdav:
		if anon {
			return target{view: l.anonWebdav}, withCleanPath(r)
		}
		return target{view: l.webdav[user]}, withCleanPath(r)
	case atFiles, atUploads:
		return g.ownSpace(w, r, where, named, user, anon)
	}
	if anon && !l.anonOnly {
		unauthorized(w) // as for a user's folder, so clients log in
		return target{}, r
	}
	serveVirtual(w, r, l, where, user)
	return target{}, r
}

// ownSpace is pickNextcloud for /remote.php/dav/files/<named>/… and
// /remote.php/dav/uploads/<named>/…: named must be the authenticated
// user (403 otherwise, whatever exists there). Anonymous requests get the
// anonymous view under any name when no users are configured, else 401.
func (g *gate) ownSpace(w http.ResponseWriter, r *http.Request, where place, named, user string, anon bool) (target, *http.Request) {
	l := g.nc
	switch {
	case anon && !l.anonOnly:
		unauthorized(w)
		return target{}, r
	case !anon && named != user:
		// The same answer whether named is a user or not: it confirms no
		// name, and shows the user only their own URL.
		g.log.Warn("a user named another user's folder", "id", requestID(r.Context()), "addr", clientIP(r), "user", user, "named", named)
		http.Error(w, "403 Forbidden: the user in this URL is not you; your files are at "+
			(&url.URL{Path: l.base + ncFiles + "/" + user + "/"}).EscapedPath(), http.StatusForbidden)
		return target{}, r
	}
	files := l.base + ncFiles + "/" + named
	view := l.files[user]
	if anon {
		view = g.anon.Mounted(files)
	}
	if where == atUploads {
		return target{view: view, uploads: l.base + ncUploads + "/" + named, files: files}, withCleanPath(r)
	}
	return target{view: view}, withCleanPath(r)
}

// serveVirtual answers the layout's collections that hold no files:
// /remote.php/dav/, /remote.php/dav/files/ and /remote.php/dav/uploads/.
// OPTIONS and PROPFIND (Depth 0 or 1) are answered, with the user's own
// folder the only member listed (none for anonymous), so no other user's
// name is ever shown; any other method is 405.
func serveVirtual(w http.ResponseWriter, r *http.Request, l *layout, where place, user string) {
	const allow = "OPTIONS, PROPFIND"
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", allow)
		w.Header().Set("DAV", "1, 2, 3")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	case "PROPFIND":
	default:
		w.Header().Set("Allow", allow)
		http.Error(w, "405 Method Not Allowed: this collection of the Nextcloud layout holds no files", http.StatusMethodNotAllowed)
		return
	}
	self, members := virtualMembers(l, where, user)
	switch r.Header.Get("Depth") {
	case "0":
		members = nil
	case "1":
	default: // infinity, as an absent Depth means (RFC 4918 §9.1)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(xml.Header + `<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>`))
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header + `<D:multistatus xmlns:D="DAV:">`)
	for _, p := range append([]string{self}, members...) {
		b.WriteString(`<D:response><D:href>`)
		_ = xml.EscapeText(&b, []byte((&url.URL{Path: p}).EscapedPath()))
		b.WriteString(`</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop>` +
			`<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`)
	}
	b.WriteString(`</D:multistatus>`)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	_, _ = w.Write([]byte(b.String()))
}

// virtualMembers are the URL paths of a virtual collection and of the
// members it lists to user ("" for anonymous on a server without users).
func virtualMembers(l *layout, where place, user string) (self string, members []string) {
	switch where {
	case atDAVRoot:
		members = []string{l.base + ncFiles + "/"}
		if l.caps.chunking {
			members = append(members, l.base+ncUploads+"/")
		}
		return l.base + ncDAV + "/", members
	case atUploadsRoot:
		self = l.base + ncUploads + "/"
		if user != "" && l.caps.chunking {
			members = []string{self + user + "/"}
		}
		return self, members
	}
	self = l.base + ncFiles + "/"
	if user != "" {
		members = []string{self + user + "/"}
	}
	return self, members
}

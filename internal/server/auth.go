package server

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/atomdav/atomdav/internal/auth"
	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/internal/dav"
)

// challenge is the WWW-Authenticate of every 401: HTTP Basic, with UTF-8
// names and passwords (RFC 7617 §2.1).
const challenge = `Basic realm="atomdav", charset="UTF-8"`

// setUser records name as r's user, in the requestInfo of the middleware
// (which logs it) if there is one, else in a new one.
func setUser(r *http.Request, name string) *http.Request {
	if ri, ok := r.Context().Value(requestKey{}).(*requestInfo); ok {
		ri.user = name
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), requestKey{}, &requestInfo{user: name}))
}

// gate authenticates requests and serves each through its user's view.
type gate struct {
	log   *slog.Logger
	auth  *auth.Authenticator
	views map[string]*dav.Handler // by user name, built once
	anon  *dav.Handler            // nil unless anonymous access is on
	// header names the user when the request comes from one of proxies;
	// empty when off.
	header string
	// root is the URL path of the share's root ("/" or prefix + "/"; the
	// prefix alone is its root too).
	root string
	// nc serves the Nextcloud/ownCloud URL layout; nil when it is off.
	nc *layout
	// users counts the users (for the reload's log line).
	users int
}

// withAuth authenticates the request and serves it through the user's
// view of the share (h.Scoped(name, root, read-only), restricted by the
// top-level rules and the user's own; anonymous is the principal ""):
//
//   - from a trusted proxy (cfg.TrustedProxies), a non-empty cfg.AuthHeader
//     names the user, who must be configured (else 403: atomdav does not
//     grant access to names it does not know), once (else 400); from other
//     peers the header is ignored;
//   - otherwise HTTP Basic (RFC 7617): a wrong or missing login is 401 with
//     a Basic challenge, an address that failed too often 429;
//   - a request without credentials is served read-only or read-write to
//     all of the share when cfg.Anonymous is on, else refused, except an
//     OPTIONS of the share's root, which Windows' WebDAV client sends
//     without credentials before it asks for them.
//
// The gate doing this is replaced whole by a reload (reload.go); each
// request is served by the gate it found when it came in, to its end.
// A configuration it cannot use (a hash it does not know) fails closed:
// every request gets 503 and the error is logged, until a reload fixes it.
func (s *Server) withAuth(h *dav.Handler) http.Handler {
	g, weak, err := s.newGate(h, s.cfg, nil)
	if err != nil {
		s.log.Error("authentication is misconfigured: refusing every request", "err", err)
	} else {
		s.auth.gate.Store(g)
		if len(weak) > 0 {
			s.log.Warn("users with weak password hashes ({SHA}, apr1 or MD5 crypt): a stolen users file gives their passwords away fast; hash them again with htpasswd -B or atomdav user add", "users", strings.Join(weak, ","))
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := s.auth.gate.Load()
		if g == nil {
			http.Error(w, "503 Service Unavailable: authentication is misconfigured", http.StatusServiceUnavailable)
			return
		}
		g.ServeHTTP(w, r)
	})
}

// newGate builds the authenticator and every user's view of h, for the
// users of cfg (cfg.AllUsers: the YAML users, the users file and the user
// key) and its anonymous access. With prev, the authenticator is prev's
// renewed (auth.Authenticator.Renew): failed logins stay counted. weak
// names the users whose hash is of a weak scheme.
func (s *Server) newGate(h *dav.Handler, cfg config.Config, prev *auth.Authenticator) (_ *gate, weak []string, _ error) {
	all, weak, err := cfg.AllUsers()
	if err != nil {
		return nil, nil, err
	}
	users := make([]auth.User, len(all))
	g := &gate{
		log:    s.log,
		views:  make(map[string]*dav.Handler, len(all)),
		header: cfg.AuthHeader,
		root:   strings.TrimSuffix(cfg.Prefix, "/") + "/",
		users:  len(all),
	}
	for i, u := range all {
		users[i] = auth.User{Name: u.Name, Hash: u.Hash, Root: u.Root, ReadOnly: u.ReadOnly}
		g.views[u.Name] = h.Scoped(u.Name, u.Root, u.ReadOnly).Restricted(rules(cfg.Rules, u.Root, u.Rules))
		dir := filepath.Join(cfg.Root, filepath.FromSlash(u.Root))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			s.log.Warn("a user's root is not a folder of the share: they will see nothing", "user", u.Name, "root", u.Root)
		}
	}
	if prev != nil {
		g.auth, err = prev.Renew(users)
	} else {
		g.auth, err = auth.New(users, auth.Options{MaxFailures: cfg.MaxFailedLogins, FailureWindow: cfg.FailedLoginWindow})
	}
	if err != nil {
		return nil, nil, err
	}
	if cfg.Anonymous {
		g.anon = h.Scoped("", "/", cfg.AnonymousReadOnly).Restricted(rules(cfg.Rules, "/", nil))
	}
	if cfg.NextcloudURLs {
		s.pageChunks(g)
		g.nc = newLayout(g, cfg.Prefix, s.capabilities())
	}
	return g, weak, nil
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, r := g.pick(w, r)
	switch {
	case t.view == nil:
	case t.uploads != "":
		t.view.ServeUploads(w, r, t.uploads, t.files)
	default:
		t.view.ServeHTTP(w, r)
	}
}

// pick returns what to serve r through (see route), in the Nextcloud
// layout when r's path lies in it (see layout), and r with its user
// recorded.
func (g *gate) pick(w http.ResponseWriter, r *http.Request) (target, *http.Request) {
	if g.nc != nil {
		if where, named, _ := g.nc.locate(r.URL.Path); where != outside {
			return g.pickNextcloud(w, r, where, named)
		}
	}
	view, r, _ := g.route(w, r)
	return target{view: view}, r
}

// route returns the view to serve r through, r with its user recorded
// and the user's name ("" for anonymous), or a nil view when it has
// answered r itself: a refusal, or the unauthenticated OPTIONS of the
// share's root. Serving happens in ServeHTTP, once route's frame is off
// the stack (see middleware).
func (g *gate) route(w http.ResponseWriter, r *http.Request) (*dav.Handler, *http.Request, string) {
	if g.header != "" && viaTrustedProxy(r) {
		if view, r, user, named := g.proxied(w, r); named {
			return view, r, user
		}
	}
	if len(r.Header.Values("Authorization")) > 1 {
		// Which credentials the client meant cannot be told; taking the
		// first would let a proxy that appends its own be overridden.
		http.Error(w, "400 Bad Request: Authorization must be sent once", http.StatusBadRequest)
		return nil, r, ""
	}
	if name, password, ok := r.BasicAuth(); ok {
		return g.basic(w, r, name, password)
	}
	switch {
	case g.anon != nil:
		return g.anon, r, ""
	case r.Method == http.MethodOptions && (r.URL.Path == g.root || r.URL.Path+"/" == g.root):
		// Windows' Mini-Redirector decides from this unauthenticated
		// OPTIONS whether the server speaks WebDAV at all; a 401 here
		// makes it give up before it ever sends credentials.
		dav.WriteCollectionOptions(w)
	default:
		unauthorized(w)
	}
	return nil, r, ""
}

// proxied is route for a request from a trusted proxy: named is false
// when the auth header is absent or empty (Basic applies). The header must
// name one configured user, once: given twice, or as a comma-separated
// list (which RFC 9110 §5.3 lets an intermediary make of two), it is 400,
// never the first of them, since which one the proxy meant cannot be told.
// Config.Validate refuses ',' in names when the header is on.
func (g *gate) proxied(w http.ResponseWriter, r *http.Request) (view *dav.Handler, _ *http.Request, user string, named bool) {
	vals := r.Header.Values(g.header)
	if len(vals) == 0 || len(vals) == 1 && strings.TrimSpace(vals[0]) == "" {
		return nil, r, "", false
	}
	if len(vals) > 1 || strings.Contains(vals[0], ",") {
		g.log.Warn("the proxy named more than one user", "id", requestID(r.Context()), "addr", r.RemoteAddr, "header", g.header, "values", vals)
		http.Error(w, "400 Bad Request: "+g.header+" must name one user, once", http.StatusBadRequest)
		return nil, r, "", true
	}
	name := strings.TrimSpace(vals[0])
	view, ok := g.views[name]
	if !ok {
		g.log.Warn("the proxy named an unknown user", "id", requestID(r.Context()), "addr", r.RemoteAddr, "user", name)
		http.Error(w, "403 Forbidden: unknown user", http.StatusForbidden)
		return nil, r, "", true
	}
	return view, setUser(r, name), name, true
}

// basic is route for a request that carries Basic credentials.
func (g *gate) basic(w http.ResponseWriter, r *http.Request, name, password string) (*dav.Handler, *http.Request, string) {
	client := clientIP(r)
	u, err := g.auth.Login(client, name, password)
	var rl *auth.RateLimitError
	switch {
	case err == nil:
		return g.views[u.Name], setUser(r, u.Name), u.Name
	case errors.As(err, &rl):
		g.log.Debug("login refused: too many failures", "id", requestID(r.Context()), "addr", client, "user", name)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(rl.RetryAfter.Seconds()))))
		http.Error(w, "429 Too Many Requests: too many failed logins, retry later", http.StatusTooManyRequests)
	default:
		// Never log the password, not even a wrong one: it is often a
		// typo of the right one, or another account's.
		g.log.Warn("login failed", "id", requestID(r.Context()), "addr", client, "user", name)
		unauthorized(w)
	}
	return nil, r, ""
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", challenge)
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}

// clientIP is the address of r's client, without the port: after withProxy
// (outside us in the chain) the real client's even behind a trusted proxy,
// so the failed-login limit never lumps users behind one proxy together.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// pageChunks lets the folder page of each view upload large files through
// the chunked uploads of the Nextcloud layout, at the URLs that view may
// use: a user's own, and for anonymous any name (here "anonymous") when
// no users are configured; anonymous has none beside users (401 there).
func (s *Server) pageChunks(g *gate) {
	if s.uploads == nil {
		return
	}
	base := strings.TrimSuffix(s.cfg.Prefix, "/")
	for name, v := range g.views {
		g.views[name] = v.WithPageChunks(base+ncUploads+"/"+name, base+ncFiles+"/"+name)
	}
	if g.anon != nil && len(g.views) == 0 {
		g.anon = g.anon.WithPageChunks(base+ncUploads+"/anonymous", base+ncFiles+"/anonymous")
	}
}

package server

import (
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// CORS (https://fetch.spec.whatwg.org/#http-cors-protocol) lets web pages
// on the configured origins use the share from a browser.
const (
	// corsMethods is every method the share answers.
	corsMethods = "GET, HEAD, PUT, DELETE, OPTIONS, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK, REPORT"
	// corsHeaders are the request headers WebDAV clients send (RFC 4918
	// §10, RFC 9110 §13, the Windows and macOS upload headers).
	corsHeaders = "Authorization, Content-Type, Depth, Destination, Overwrite, If, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, Range, Lock-Token, Timeout, X-Expected-Entity-Length"
	// corsExpose are the response headers a page may read beyond the
	// CORS-safelisted ones.
	corsExpose = "DAV, ETag, Lock-Token, Location, Content-Length, Content-Range, Accept-Ranges, Allow, MS-Author-Via, WWW-Authenticate, X-Request-Id"
	// corsMaxAge is how long, in seconds, a browser may cache a preflight
	// answer (Chromium caps it at 7200).
	corsMaxAge = "3600"
)

// corsPolicy is the parsed cors-origins setting.
type corsPolicy struct {
	any     bool            // "*" is listed: any origin, without credentials
	origins map[string]bool // origins listed by name, lower case
}

// newCORSPolicy parses the configured origins; "*" means any origin.
func newCORSPolicy(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		switch o {
		case "":
		case "*":
			p.any = true
		default:
			p.origins[o] = true
		}
	}
	return p
}

// allow returns the Access-Control-Allow-Origin value for origin and
// whether credentials (cookies, Authorization) may go with it; "" when
// the origin is not allowed. A listed origin is echoed with credentials;
// with "*" any other origin gets "*" and no credentials, as the Fetch
// standard requires.
func (p corsPolicy) allow(origin string) (allowOrigin string, credentials bool) {
	switch {
	case origin == "":
		return "", false
	case p.origins[strings.ToLower(origin)]:
		return origin, true
	case p.any:
		return "*", false
	}
	return "", false
}

// withCORS answers cross-origin requests from the configured origins: it
// adds the CORS headers to their responses and answers their preflight
// OPTIONS itself with 204, before authentication (browsers never send
// credentials with a preflight). Other origins get no CORS headers, so
// browsers keep their pages out. Without cors-origins it adds nothing.
func (s *Server) withCORS(h http.Handler) http.Handler {
	if len(s.cfg.CORSOrigins) == 0 {
		return h
	}
	p := newCORSPolicy(s.cfg.CORSOrigins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		if len(p.origins) > 0 {
			// The answer depends on the Origin: caches must not share it.
			hdr.Add("Vary", "Origin")
		}
		allowOrigin, credentials := p.allow(r.Header.Get("Origin"))
		if allowOrigin == "" {
			h.ServeHTTP(w, r)
			return
		}
		hdr.Set("Access-Control-Allow-Origin", allowOrigin)
		if credentials {
			hdr.Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
			hdr.Set("Access-Control-Expose-Headers", corsExpose)
			h.ServeHTTP(w, r)
			return
		}
		hdr.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
		hdr.Set("Access-Control-Allow-Methods", corsMethods)
		hdr.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Values("Access-Control-Request-Headers")))
		hdr.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
	})
}

// allowHeaders is corsHeaders plus every well-formed header name a
// preflight asks for (Access-Control-Request-Headers) not already in it.
func allowHeaders(requested []string) string {
	list := strings.Split(corsHeaders, ", ")
	known := map[string]bool{}
	for _, h := range list {
		known[strings.ToLower(h)] = true
	}
	for _, v := range requested {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" || !httpguts.ValidHeaderFieldName(name) || known[strings.ToLower(name)] {
				continue
			}
			known[strings.ToLower(name)] = true
			list = append(list, name)
		}
	}
	return strings.Join(list, ", ")
}

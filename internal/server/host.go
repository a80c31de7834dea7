package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// hostPolicy is the parsed allowed-hosts setting: which names a request's
// Host may give. localhost (and *.localhost, RFC 6761) and IP addresses
// are always allowed: DNS rebinding needs a name the attacker controls, so
// a page reaching the server by an address or by localhost is on the
// server's own origin.
type hostPolicy struct {
	names map[string]bool // lower case, without a trailing dot
}

// withHost refuses, with 421 Misdirected Request, a request whose Host
// names this server by a name it does not answer for, before CORS and
// authentication. A web page on evil.example whose name the attacker
// re-points at 127.0.0.1 (DNS rebinding) is same-origin with the share
// and could read and write all of an anonymous share on the user's own
// machine; it sends Host: evil.example. So when allowed-hosts is empty and
// anonymous access is on, a server on a loopback address answers only
// localhost and IP addresses; otherwise an empty allowed-hosts, or "*",
// lets any Host in. Requests from trusted proxies are the proxy's
// business and always pass.
func (s *Server) withHost(h http.Handler) http.Handler {
	return guardHost(h, s.cfg.AllowedHosts, s.cfg.Anonymous && s.ln != nil && isLoopback(s.ln.Addr()))
}

// guardHost wraps h in the allowed-hosts check of names, or, when names
// is empty, of localhost and IP addresses alone if loopbackOnly; it
// returns h itself when there is nothing to check.
func guardHost(h http.Handler, names []string, loopbackOnly bool) http.Handler {
	if len(names) == 0 && !loopbackOnly {
		return h
	}
	p := hostPolicy{names: map[string]bool{}}
	for _, n := range names {
		if n == "*" {
			return h
		}
		p.names[normalHost(n)] = true
	}
	return &hostLayer{next: h, policy: p}
}

// hostLayer is withHost's handler.
type hostLayer struct {
	next   http.Handler
	policy hostPolicy
}

func (l *hostLayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !viaTrustedProxy(r) && !l.policy.allows(r.Host) {
		http.Error(w, "421 Misdirected Request: this server does not answer for this host name (see allowed-hosts)", http.StatusMisdirectedRequest)
		return
	}
	l.next.ServeHTTP(w, r)
}

// allows reports whether a Host header value (host, host:port, [v6]:port)
// may be served. An empty Host (HTTP/1.0) is no browser's.
func (p hostPolicy) allows(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = normalHost(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return p.names[host]
}

// normalHost is a host name in lower case without the trailing dot of a
// fully qualified name.
func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// isLoopback reports whether the listener is on a loopback address only.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

package server

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// forwardedHeaders are the headers through which a reverse proxy describes
// the client. They are believed only from trusted proxies and removed from
// every other request. They are in canonical form (withoutHeaders).
var forwardedHeaders = []string{
	"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
	"X-Forwarded-Port", "X-Forwarded-Prefix", "X-Real-Ip",
}

// trustedProxies is the parsed trusted-proxies setting.
type trustedProxies []netip.Prefix

// parseTrustedProxies parses IP addresses and CIDRs; IPv4-mapped IPv6
// forms are taken as IPv4.
func parseTrustedProxies(list []string) (trustedProxies, error) {
	var t trustedProxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			t = append(t, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return t, fmt.Errorf("trusted-proxies: %q is not an IP address or CIDR", s)
		}
		a = a.Unmap().WithZone("")
		t = append(t, netip.PrefixFrom(a, a.BitLen()))
	}
	return t, nil
}

// contains reports whether a is one of the trusted proxies.
func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr walks X-Forwarded-For from the right, starting at peer, past
// the trusted proxies, and returns the first hop that is not one: the
// client as the nearest proxy it did not choose saw it. Hops to its left
// were written by the client and are ignored. An unparsable hop stops the
// walk at the last good one; when every hop is trusted the left-most wins.
func (t trustedProxies) clientAddr(peer netip.Addr, xff []string) netip.Addr {
	hops := strings.Split(strings.Join(xff, ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0 && t.contains(client); i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		a, ok := parseHop(h)
		if !ok {
			break
		}
		client = a
	}
	return client
}

// parseHop parses one X-Forwarded-For element: an address, possibly with a
// port or in brackets.
func parseHop(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// lastValue is the right-most element of a comma-separated header: the one
// the nearest proxy, the one we trust, wrote.
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	return strings.TrimSpace(v[strings.LastIndexByte(v, ',')+1:])
}

// proxyKey marks, in a request's context, the trusted proxy it came
// through.
type proxyKey struct{}

// viaTrustedProxy reports whether r reached us from a trusted proxy: only
// then are the auth header and X-Forwarded-* to be believed. After
// withProxy r.RemoteAddr is the client's address, not the proxy's, so
// this is the test to use downstream.
func viaTrustedProxy(r *http.Request) bool {
	_, ok := r.Context().Value(proxyKey{}).(netip.Addr)
	return ok
}

// withProxy applies X-Forwarded-* from trusted proxies: the client address
// from X-Forwarded-For becomes r.RemoteAddr (port 0: unknown),
// X-Forwarded-Host becomes r.Host (so a COPY or MOVE Destination naming
// the public host is on this server) and X-Forwarded-Proto (http or https)
// becomes r.URL.Scheme. From any other peer those headers, and the auth
// header, are removed, so nothing downstream believes them.
func (s *Server) withProxy(h http.Handler) http.Handler {
	trusted, err := parseTrustedProxies(s.cfg.TrustedProxies)
	if err != nil { // Config.Validate refuses this; keep the valid entries
		s.log.Error("ignoring a trusted proxy", "err", err)
	}
	strip := forwardedHeaders
	if s.cfg.AuthHeader != "" {
		strip = append(strip[:len(strip):len(strip)], http.CanonicalHeaderKey(s.cfg.AuthHeader))
	}
	return &proxyLayer{next: h, trusted: trusted, strip: strip}
}

// proxyLayer is withProxy's handler. Its ServeHTTP only calls request and
// then next, so the frame that stays on the stack while the request is
// served is small (every handler below runs on that stack, see
// middleware).
type proxyLayer struct {
	next    http.Handler
	trusted trustedProxies
	strip   []string // canonical header names
}

func (p *proxyLayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.next.ServeHTTP(w, p.request(r))
}

// request is r as the handlers below are to see it.
func (p *proxyLayer) request(r *http.Request) *http.Request {
	if len(p.trusted) == 0 {
		return withoutHeaders(r, p.strip)
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !p.trusted.contains(peer.Addr()) {
		return withoutHeaders(r, p.strip)
	}
	r = r.Clone(context.WithValue(r.Context(), proxyKey{}, peer.Addr()))
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		client := p.trusted.clientAddr(peer.Addr(), xff)
		r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		if ri, ok := r.Context().Value(requestKey{}).(*requestInfo); ok {
			ri.client = client.String()
		}
	}
	if host := lastValue(r.Header.Values("X-Forwarded-Host")); host != "" && httpguts.ValidHostHeader(host) {
		r.Host = host
	}
	if proto := strings.ToLower(lastValue(r.Header.Values("X-Forwarded-Proto"))); proto == "http" || proto == "https" {
		r.URL.Scheme = proto
	}
	return r
}

// withoutHeaders returns r, or a copy of it without the named headers when
// it has any of them. The names are in canonical form.
func withoutHeaders(r *http.Request, names []string) *http.Request {
	found := false
	for _, k := range names {
		if _, ok := r.Header[k]; ok {
			found = true
			break
		}
	}
	if !found {
		return r
	}
	r = r.Clone(r.Context())
	for _, k := range names {
		delete(r.Header, k)
	}
	return r
}

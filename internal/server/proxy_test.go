package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/config"
)

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "127.0.0.1", want: "127.0.0.1/32"},
		{in: " 10.1.2.3/8 ", want: "10.0.0.0/8"},
		{in: "::1", want: "::1/128"},
		{in: "2001:db8::/32", want: "2001:db8::/32"},
		{in: "::ffff:192.0.2.1", want: "192.0.2.1/32"},
		{in: "::ffff:192.0.2.0/120", want: "192.0.2.0/24"},
		{in: "proxy.example", wantErr: true},
		{in: "10.0.0.0/33", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTrustedProxies([]string{tc.in})
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "trusted-proxies") {
					t.Fatalf("parse %q: %v, %v; want an error naming trusted-proxies", tc.in, got, err)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].String() != tc.want {
				t.Fatalf("parse %q: %v, %v; want [%s]", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted, err := parseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8", "2001:db8:1::/48"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"one-hop", "127.0.0.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"right-most-untrusted", "127.0.0.1", []string{"198.51.100.1, 203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
		{"client-forged-left-hops-ignored", "127.0.0.1", []string{"10.9.9.9, 1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"several-header-lines", "127.0.0.1", []string{"198.51.100.1", "203.0.113.7", "10.0.0.5"}, "203.0.113.7"},
		{"all-trusted-left-most-wins", "127.0.0.1", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"garbage-stops-at-last-good", "127.0.0.1", []string{"203.0.113.7, garbage, 10.0.0.5"}, "10.0.0.5"},
		{"empty-elements-skipped", "127.0.0.1", []string{" , 203.0.113.7,, "}, "203.0.113.7"},
		{"port-and-brackets", "127.0.0.1", []string{"[2001:db8:2::1]:4711"}, "2001:db8:2::1"},
		{"ipv4-with-port", "127.0.0.1", []string{"203.0.113.7:8080"}, "203.0.113.7"},
		{"bracketed-ipv6", "127.0.0.1", []string{"[2001:db8:2::1]"}, "2001:db8:2::1"},
		{"mapped-ipv4", "127.0.0.1", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"trusted-ipv6-proxy", "2001:db8:1::5", []string{"203.0.113.7, 2001:db8:1::9"}, "203.0.113.7"},
		{"empty-header", "127.0.0.1", []string{""}, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := trusted.clientAddr(netip.MustParseAddr(tc.peer), tc.xff)
			if got.String() != tc.want {
				t.Errorf("clientAddr(%s, %q) = %s, want %s", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
}

// proxySeen is what a handler behind withProxy saw of a request.
type proxySeen struct {
	remote, host, scheme string
	header               http.Header
	viaProxy             bool
}

func TestWithProxy(t *testing.T) {
	t.Parallel()
	s := &Server{
		cfg: config.Config{TrustedProxies: []string{"127.0.0.1", "10.0.0.0/8"}, AuthHeader: "X-Forwarded-User"},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	forwarded := []string{
		"X-Forwarded-For", "198.51.100.1, 203.0.113.7",
		"X-Forwarded-Host", "dav.example",
		"X-Forwarded-Proto", "https",
		"X-Forwarded-User", "alice",
		"Forwarded", "for=192.0.2.60",
		"X-Real-Ip", "192.0.2.60",
	}
	for _, tc := range []struct {
		name   string
		remote string
		hdr    []string
		want   proxySeen
	}{
		{
			name: "trusted-peer-headers-applied", remote: "127.0.0.1:5555", hdr: forwarded,
			want: proxySeen{remote: "203.0.113.7:0", host: "dav.example", scheme: "https", viaProxy: true},
		},
		{
			name: "trusted-cidr-peer", remote: "10.2.3.4:5555", hdr: forwarded,
			want: proxySeen{remote: "203.0.113.7:0", host: "dav.example", scheme: "https", viaProxy: true},
		},
		{
			name: "untrusted-peer-headers-ignored-and-stripped", remote: "192.0.2.1:5555", hdr: forwarded,
			want: proxySeen{remote: "192.0.2.1:5555", host: "origin.example"},
		},
		{
			name: "trusted-peer-without-headers", remote: "127.0.0.1:5555",
			want: proxySeen{remote: "127.0.0.1:5555", host: "origin.example", viaProxy: true},
		},
		{
			name: "bad-host-and-proto-ignored", remote: "127.0.0.1:5555",
			hdr:  []string{"X-Forwarded-Host", "bad host/", "X-Forwarded-Proto", "gopher"},
			want: proxySeen{remote: "127.0.0.1:5555", host: "origin.example", viaProxy: true},
		},
		{
			name: "nearest-proxy-value-wins", remote: "127.0.0.1:5555",
			hdr:  []string{"X-Forwarded-Host", "forged.example, dav.example:8443", "X-Forwarded-Proto", "http, HTTPS"},
			want: proxySeen{remote: "127.0.0.1:5555", host: "dav.example:8443", scheme: "https", viaProxy: true},
		},
		{
			name: "ipv6-untrusted-peer", remote: "[2001:db8::1]:5555", hdr: forwarded,
			want: proxySeen{remote: "[2001:db8::1]:5555", host: "origin.example"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got proxySeen
			h := s.withProxy(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = proxySeen{remote: r.RemoteAddr, host: r.Host, scheme: r.URL.Scheme, header: r.Header, viaProxy: viaTrustedProxy(r)}
			}))
			r := httptest.NewRequest("PROPFIND", "/f", nil)
			r.Host = "origin.example"
			r.RemoteAddr = tc.remote
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				r.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
			before := r.Header.Clone()
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got.remote != tc.want.remote || got.host != tc.want.host || got.scheme != tc.want.scheme || got.viaProxy != tc.want.viaProxy {
				t.Errorf("saw remote %q host %q scheme %q via proxy %v; want %q %q %q %v",
					got.remote, got.host, got.scheme, got.viaProxy, tc.want.remote, tc.want.host, tc.want.scheme, tc.want.viaProxy)
			}
			for _, k := range append(forwardedHeaders, "X-Forwarded-User") {
				_, present := got.header[http.CanonicalHeaderKey(k)]
				if want := tc.want.viaProxy && before.Get(k) != ""; present != want {
					t.Errorf("header %s present downstream: %v, want %v", k, present, want)
				}
			}
			if r.RemoteAddr != tc.remote || r.Host != "origin.example" || len(r.Header) != len(before) {
				t.Errorf("the caller's request was modified: remote %q host %q header %v", r.RemoteAddr, r.Host, r.Header)
			}
		})
	}
}

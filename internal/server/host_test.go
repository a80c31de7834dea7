package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHostPolicy: localhost and IP addresses always pass, other names only
// when listed, whatever their case, port or trailing dot.
func TestHostPolicy(t *testing.T) {
	p := hostPolicy{names: map[string]bool{"files.example": true}}
	for host, want := range map[string]bool{
		"":                       true, // HTTP/1.0
		"localhost":              true,
		"LOCALHOST:8080":         true,
		"app.localhost:8080":     true,
		"127.0.0.1:8080":         true,
		"[::1]:8080":             true,
		"[::1]":                  true,
		"192.168.1.5":            true,
		"files.example":          true,
		"Files.Example.:443":     true,
		"evil.example:8080":      false,
		"localhost.evil.example": false,
		"127.0.0.1.nip.io":       false,
		"files.example.evil":     false,
		"localhost.":             true,
		"127.0.0.1.:8080":        true,
		"[fe80::1%25eth0]:8080":  true,
		"evil.example.":          false,
		"[evil.example]:8080":    false,
		"evil.example:":          false,
		"files.example@evil":     false,
	} {
		if got := p.allows(host); got != want {
			t.Errorf("allows(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestGuardHost: the configured names are matched as the Host is (case,
// trailing dot); "*" or an empty list off loopback turns the check off,
// and an empty list on loopback still lets localhost and addresses in.
func TestGuardHost(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	tests := []struct {
		name         string
		names        []string
		loopbackOnly bool
		host         string
		want         int
	}{
		{"listed in another case, with a dot", []string{"Files.Example."}, false, "files.example:8080", 200},
		{"not listed", []string{"files.example"}, false, "evil.example", 421},
		{"listed names and loopback", []string{"files.example"}, true, "files.example", 200},
		{"star among names", []string{"files.example", "*"}, true, "evil.example", 200},
		{"empty, not loopback", nil, false, "evil.example", 200},
		{"empty, loopback, foreign name", nil, true, "evil.example", 421},
		{"empty, loopback, localhost", nil, true, "localhost:8080", 200},
		{"empty, loopback, IPv6 literal", nil, true, "[::1]:8080", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			guardHost(ok, tt.names, tt.loopbackOnly).ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("Host %q: status %d, want %d", tt.host, w.Code, tt.want)
			}
		})
	}
}

// FuzzHostPolicy: any Host header is answered without a panic, in either
// ASCII case alike, and a name that is not listed is refused whatever follows
// it (a port, brackets, more colons).
func FuzzHostPolicy(f *testing.F) {
	for _, s := range []string{"", "8080", "[::1]", "]", "443:x", "%25eth0", ".", "files.example"} {
		f.Add(s)
	}
	p := hostPolicy{names: map[string]bool{"files.example": true}}
	f.Fuzz(func(t *testing.T, s string) {
		upper := strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, s)
		if p.allows(s) != p.allows(upper) {
			t.Errorf("allows(%q) depends on ASCII case", s)
		}
		if host := "attacker.example:" + s; p.allows(host) {
			t.Errorf("allows(%q) = true", host)
		}
	})
}

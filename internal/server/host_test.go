package server

import "testing"

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
	} {
		if got := p.allows(host); got != want {
			t.Errorf("allows(%q) = %v, want %v", host, got, want)
		}
	}
}

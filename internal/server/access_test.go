package server

import (
	"testing"

	"github.com/atomdav/atomdav/internal/config"
)

// TestAccessMode checks the words the start-up line uses for who may use
// the server.
func TestAccessMode(t *testing.T) {
	users := []config.User{{Name: "ann"}, {Name: "ben"}}
	for _, tc := range []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{Anonymous: true}, "anonymous read-write, no login"},
		{config.Config{Anonymous: true, AnonymousReadOnly: true, Users: users[:1]}, "anonymous read-only and 1 user, logging in with Basic"},
		{config.Config{Users: users}, "2 users, logging in with Basic"},
		{config.Config{Users: users, AuthHeader: "X-Remote-User"}, "2 users, logging in with Basic or named by a trusted proxy's X-Remote-User"},
	} {
		if got := accessMode(tc.cfg); got != tc.want {
			t.Errorf("accessMode(%+v) = %q, want %q", tc.cfg, got, tc.want)
		}
	}
}

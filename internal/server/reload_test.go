package server

import (
	"reflect"
	"testing"

	"github.com/atomdav/atomdav/internal/config"
)

// TestApplyReloadable: a reload takes who may log in from the fresh
// configuration, keeps everything else as it runs, and names the keys
// that changed but need a restart.
func TestApplyReloadable(t *testing.T) {
	running := config.Default()
	running.Users = []config.User{{Name: "alice", Hash: "h1"}}
	running.UsersFile = "/etc/atomdav/users"
	fresh := running
	fresh.Users = []config.User{{Name: "bob", Hash: "h2", ReadOnly: true}}
	fresh.User = "carol:h3"
	fresh.Anonymous, fresh.AnonymousReadOnly = true, true
	fresh.MaxUploads = 3
	fresh.UsersFile = "/elsewhere"
	fresh.Checksums = []string{"sha256"}

	got, restart := applyReloadable(running, fresh)
	if !reflect.DeepEqual(got.Users, fresh.Users) || got.User != fresh.User || !got.Anonymous || !got.AnonymousReadOnly {
		t.Errorf("users not applied: %+v", got)
	}
	if got.MaxUploads != running.MaxUploads || got.UsersFile != running.UsersFile || len(got.Checksums) != 2 {
		t.Errorf("a key that needs a restart was applied: %+v", got)
	}
	if want := []string{"max-uploads", "checksums", "users-file"}; !sameSet(restart, want) {
		t.Errorf("restart = %v, want %v", restart, want)
	}
	if _, restart := applyReloadable(running, running); len(restart) != 0 {
		t.Errorf("nothing changed, yet restart = %v", restart)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		if !m[s] {
			return false
		}
	}
	return true
}

package auth

import (
	"errors"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestHtpasswdSchemes: users whose hashes Apache's htpasswd made with
// -m (apr1), -s ({SHA}) and -5 (SHA-512 crypt) log in with their
// password and not with another.
func TestHtpasswdSchemes(t *testing.T) {
	t.Parallel()
	a, err := New([]User{
		{Name: "apr1", Hash: "$apr1$Eou2IGcT$gvJHcF6JBDX76G7BxBHU4."},
		{Name: "sha", Hash: "{SHA}PcoIHxhUptvsl48mfbCyv35Tfsw="},
		{Name: "sha512", Hash: "$6$bGssn8bQoB61wR30$kYuN4avNu6vCIJRpJiDoWXZ5zpHgawKaqVOeARVl9jaZDRlWE1rMsLXYujotXwh4GcQnj4hQJ33og3a1OBNZE."},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"apr1", "sha", "sha512"} {
		if _, ok := a.Check(name, "pässword:1"); !ok {
			t.Errorf("%s: right password refused", name)
		}
		if _, ok := a.Check(name, "pässword:2"); ok {
			t.Errorf("%s: wrong password accepted", name)
		}
	}
}

// TestRenew: the renewed authenticator knows only the new users, verifies
// again what the old one had cached, and keeps counting the failures the
// old one saw.
func TestRenew(t *testing.T) {
	t.Parallel()
	old, n, _ := newTest(t, bcrypt.MinCost, Options{MaxFailures: 2})
	if _, err := old.Login("192.0.2.1", "alice", "wonderland"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := old.Login("192.0.2.7", "alice", "guess"); err == nil {
			t.Fatal("a guess succeeded")
		}
	}
	renewed, err := old.Renew([]User{{Name: "alice", Hash: hash(t, "new password", bcrypt.MinCost)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := renewed.Login("192.0.2.1", "alice", "wonderland"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password after renew: %v, want ErrBadCredentials", err)
	}
	if _, err := renewed.Login("192.0.2.2", "alice", "new password"); err != nil {
		t.Errorf("new password after renew: %v", err)
	}
	if _, err := renewed.Login("192.0.2.3", "bob", "builder"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("removed user after renew: %v, want ErrBadCredentials", err)
	}
	if _, err := renewed.Login("192.0.2.7", "alice", "another guess"); !errors.Is(err, ErrRateLimited) {
		t.Errorf("blocked address after renew: %v, want ErrRateLimited", err)
	}
	before := n.Load()
	if _, err := old.Login("192.0.2.1", "alice", "wonderland"); err != nil || n.Load() != before {
		t.Errorf("the old authenticator, still in use by requests begun with it: %v, %d comparisons", err, n.Load()-before)
	}
}

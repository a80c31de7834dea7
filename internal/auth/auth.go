package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/atomdav/atomdav/internal/htpasswd"
)

// maxPasswordBytes is the longest password bcrypt reads in full.
const maxPasswordBytes = 72

// maxOtherPasswordBytes bounds the passwords compared with the other
// schemes, whose cost grows with the password's length (SHA-crypt).
const maxOtherPasswordBytes = 1024

var (
	// ErrBadCredentials means the name is unknown or the password wrong;
	// which of the two is deliberately not said.
	ErrBadCredentials = errors.New("auth: unknown user or wrong password")
	// ErrRateLimited means the client address failed too often lately; its
	// password was not checked. The error is a *RateLimitError.
	ErrRateLimited = errors.New("auth: too many failed logins")
)

// RateLimitError refuses a login from an address that failed too often.
// It matches ErrRateLimited with errors.Is.
type RateLimitError struct {
	// RetryAfter is how long until the address may try again.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: retry after %v", ErrRateLimited, e.RetryAfter)
}

// Unwrap returns ErrRateLimited.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// User is one account.
type User struct {
	Name string
	// Hash is the hash of the password: bcrypt ("$2a$…", "$2b$…",
	// "$2y$…") or another scheme htpasswd.Check accepts.
	Hash string
	// Root is the folder of the share the user sees as "/" ("/" or empty
	// for all of it).
	Root string
	// ReadOnly refuses the user every write method.
	ReadOnly bool
}

// Options tune an Authenticator; the zero value of each field is a sane
// default.
type Options struct {
	// CacheTTL is how long a verified name and password are remembered;
	// 0 means one minute, a negative value turns the cache off.
	CacheTTL time.Duration
	// MaxFailures is how many failed logins an address may make in a row
	// before it is refused; 0 means 5.
	MaxFailures int
	// FailureWindow is the time in which MaxFailures failures are
	// forgiven (one every FailureWindow/MaxFailures); 0 means one minute.
	FailureWindow time.Duration
	// MaxClients bounds how many addresses the limiter remembers;
	// 0 means 65536.
	MaxClients int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Authenticator checks names and passwords. It is safe for concurrent use.
type Authenticator struct {
	users map[string]account // fixed after New
	// dummy is a bcrypt hash, of the users' highest cost, that unknown
	// names are compared with.
	dummy []byte
	// compare is htpasswd.Compare; tests watch it.
	compare func(hash, password []byte) error
	cache   *cache
	limit   *limiter
	opts    Options
}

type account struct {
	User
	hash   []byte
	bcrypt bool // else a scheme whose passwords are not cut at 72 bytes
}

// New returns an Authenticator for users. It fails on a duplicate name or
// a hash htpasswd.Check refuses.
func New(users []User, opts Options) (*Authenticator, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return build(users, opts, newLimiter(opts))
}

// Renew returns an Authenticator for users with a's options and a's
// failed-login counts (a reload forgives no failure), but an empty cache:
// a password verified for a's users is verified again, so a removed
// user's or a changed password's cached logins end at once. a stays
// usable, for the requests that started with it.
func (a *Authenticator) Renew(users []User) (*Authenticator, error) {
	return build(users, a.opts, a.limit)
}

func build(users []User, opts Options, limit *limiter) (*Authenticator, error) {
	a := &Authenticator{
		users:   make(map[string]account, len(users)),
		compare: compareHash,
		cache:   newCache(opts),
		limit:   limit,
		opts:    opts,
	}
	cost := 0
	for _, u := range users {
		if _, dup := a.users[u.Name]; dup {
			return nil, fmt.Errorf("auth: user %q appears twice", u.Name)
		}
		s, err := htpasswd.Check(u.Hash)
		if err != nil {
			return nil, fmt.Errorf("auth: user %q: %w", u.Name, err)
		}
		if s.Name == "bcrypt" {
			c, _ := bcrypt.Cost([]byte(u.Hash)) // checked
			cost = max(cost, c)
		}
		a.users[u.Name] = account{User: u, hash: []byte(u.Hash), bcrypt: s.Name == "bcrypt"}
	}
	if cost == 0 { // no users: no names to hide
		cost = bcrypt.MinCost
	}
	var secret [16]byte
	rand.Read(secret[:])
	dummy, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(secret[:])), cost)
	if err != nil {
		return nil, fmt.Errorf("auth: dummy hash: %w", err)
	}
	a.dummy = dummy
	return a, nil
}

// Lookup returns the configured user called name.
func (a *Authenticator) Lookup(name string) (User, bool) {
	u, ok := a.users[name]
	return u.User, ok
}

// Check reports whether password is name's: from the cache when this pair
// was verified lately, else with bcrypt. An unknown name takes as long as
// a known one with a wrong password.
func (a *Authenticator) Check(name, password string) (User, bool) {
	if u, ok := a.cached(name, password); ok {
		return u, true
	}
	return a.verify(name, password)
}

// Login checks name and password for a request from client (an IP
// address): a pair verified lately is accepted at once; otherwise a client
// that failed too often gets a *RateLimitError without its password being
// looked at, and a wrong pair gets ErrBadCredentials and counts as a
// failure of client. A check reserves the failure it may become before it
// starts, so at most as many of a client's logins are checked at once as
// it may still fail; the others wait for those checks, then are checked,
// accepted from the cache (a parallel login with the same pair succeeded)
// or refused.
func (a *Authenticator) Login(client, name, password string) (User, error) {
	if u, ok := a.cached(name, password); ok {
		return u, nil
	}
	release, wait, ok := a.limit.acquire(client)
	if !ok {
		return User{}, &RateLimitError{RetryAfter: wait}
	}
	failed := true
	defer func() { release(failed) }()
	u, ok := a.cached(name, password) // verified while this login waited?
	if !ok {
		u, ok = a.verify(name, password)
	}
	if !ok {
		return User{}, ErrBadCredentials
	}
	failed = false
	return u, nil
}

// cached returns name's account when the cache vouches for the pair.
func (a *Authenticator) cached(name, password string) (User, bool) {
	if !a.cache.hit(name, password) {
		return User{}, false
	}
	u, ok := a.users[name]
	return u.User, ok
}

// verify compares password with name's hash, or with the dummy hash when
// name is unknown, so both take one bcrypt comparison of the same cost,
// and remembers a success.
func (a *Authenticator) verify(name, password string) (User, bool) {
	u, known := a.users[name]
	if len(password) > maxPasswordBytes && (!known || u.bcrypt) || len(password) > maxOtherPasswordBytes {
		return User{}, false // the length is the client's own, timing tells nothing
	}
	hash := a.dummy
	if known {
		hash = u.hash
	}
	if err := a.compare(hash, []byte(password)); err != nil || !known {
		return User{}, false
	}
	a.cache.add(name, password)
	return u.User, true
}

// compareHash is htpasswd.Compare for the Authenticator's compare.
func compareHash(hash, password []byte) error { return htpasswd.Compare(string(hash), password) }

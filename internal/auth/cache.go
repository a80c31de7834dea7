package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// maxCached bounds the cache. Only verified pairs enter it, so it holds
// about one entry per active user; the bound is against the many passwords
// a long-lived hash from elsewhere might accept.
const maxCached = 4096

// cache remembers, for a short while, the name and password pairs bcrypt
// accepted, so a WebDAV client sending hundreds of requests a second, each
// with its Basic credentials, costs one bcrypt comparison a minute instead
// of one per request.
//
// Why this is safe:
//   - An entry exists only after bcrypt accepted the pair; a hit can only
//     confirm a password the client already got right. Wrong guesses miss,
//     go on to the failure limiter and bcrypt, so guessing is no cheaper.
//   - Entries are keyed by HMAC-SHA256(key, name ":" password) with a key
//     drawn at random when the process starts: no password is kept, the
//     keys are useless to another process and cannot be precomputed. (Names
//     contain no ':', so the pair is unambiguous.)
//   - A hit and a miss differ in time only in whether the pair was right
//     lately, which the response itself says; unknown names never hit.
//   - Entries expire CacheTTL after the verification (they are not
//     extended by use), and the users are fixed for the process's life, so
//     a changed password or removed user takes effect at restart, as
//     without a cache.
type cache struct {
	ttl time.Duration // <= 0: off
	now func() time.Time
	key [32]byte

	mu      sync.Mutex             // guards entries
	entries map[[32]byte]time.Time // expiry by pair digest
}

func newCache(opts Options) *cache {
	c := &cache{ttl: opts.CacheTTL, now: opts.Now, entries: map[[32]byte]time.Time{}}
	if c.ttl == 0 {
		c.ttl = time.Minute
	}
	rand.Read(c.key[:])
	return c
}

func (c *cache) digest(name, password string) [32]byte {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte(name))
	m.Write([]byte{':'})
	m.Write([]byte(password))
	var d [32]byte
	m.Sum(d[:0])
	return d
}

// hit reports whether the pair was verified less than ttl ago.
func (c *cache) hit(name, password string) bool {
	if c.ttl <= 0 {
		return false
	}
	d := c.digest(name, password)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.entries[d]
	if ok && !now.Before(exp) {
		delete(c.entries, d)
		return false
	}
	return ok
}

// add remembers a verified pair for ttl. When the cache is full it first
// drops expired entries and, if it is still full, does not remember: the
// pair is then just verified again.
func (c *cache) add(name, password string) {
	if c.ttl <= 0 {
		return
	}
	d := c.digest(name, password)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCached {
		c.sweepLocked(now)
		if len(c.entries) >= maxCached {
			return
		}
	}
	c.entries[d] = now.Add(c.ttl)
}

func (c *cache) sweepLocked(now time.Time) {
	for d, exp := range c.entries {
		if !now.Before(exp) {
			delete(c.entries, d)
		}
	}
}

// len returns the number of entries, expired ones included (for tests).
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

package auth

import (
	"net/netip"
	"sync"
	"time"
)

// maxBlock caps how long an address stays refused however many failures
// were counted (see failLocked).
const maxBlock = time.Hour

// limiter counts failed logins per client address in token buckets: an
// address starts with burst tokens, each failure takes one, and one comes
// back every per, up to burst. An address with less than one token is
// refused.
//
// A login is admitted to its password check only with a token reserved
// (acquire), which the check's end gives back on success or spends on
// failure (release). So at most as many checks of an address run at once
// as it may still fail: guesses sent in parallel wait for the checks
// before them and are refused once those failed, instead of all being
// checked and counted afterwards.
type limiter struct {
	burst float64
	per   time.Duration
	max   int
	now   func() time.Time

	mu      sync.Mutex // guards clients
	clients map[string]*bucket
}

type bucket struct {
	tokens float64   // at the time at
	at     time.Time // of the last failure
	// pending counts the address's logins being checked now, each holding
	// one of its tokens.
	pending int
	// settled, when not nil, is closed when a pending check ends; logins
	// waiting for a token wait on it.
	settled chan struct{}
}

func newLimiter(opts Options) *limiter {
	l := &limiter{burst: float64(opts.MaxFailures), max: opts.MaxClients, now: opts.Now, clients: map[string]*bucket{}}
	if l.burst <= 0 {
		l.burst = 5
	}
	window := opts.FailureWindow
	if window <= 0 {
		window = time.Minute
	}
	l.per = time.Duration(float64(window) / l.burst)
	if l.max <= 0 {
		l.max = 1 << 16
	}
	return l
}

// clientKey is the bucket an address falls in: the address itself, or its
// /64 for IPv6, since one host commonly has a whole /64 to pick from.
func clientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// levelLocked is b's token count at now.
func (l *limiter) levelLocked(b *bucket, now time.Time) float64 {
	return min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.per))
}

// acquire reserves one of addr's tokens for a login about to have its
// password checked. While every token the address has left is held by a
// running check, it waits for one to end (a check always ends: it is one
// bcrypt comparison). It returns release, to be called once when the
// check is done, or, when the address has less than one token, how long
// it must wait before its next attempt is checked.
func (l *limiter) acquire(addr string) (release func(failed bool), wait time.Duration, ok bool) {
	key := clientKey(addr)
	for {
		now := l.now()
		l.mu.Lock()
		b := l.bucketLocked(key, now)
		t := l.levelLocked(b, now)
		if t < 1 {
			l.mu.Unlock()
			return nil, time.Duration((1 - t) * float64(l.per)), false
		}
		if t-float64(b.pending) >= 1 {
			b.pending++
			l.mu.Unlock()
			return func(failed bool) { l.release(key, b, failed) }, 0, true
		}
		if b.settled == nil {
			b.settled = make(chan struct{})
		}
		settled := b.settled
		l.mu.Unlock()
		<-settled
	}
}

// release ends a check that acquire admitted: a failure spends the token
// it held, a success gives it back. Logins waiting for a token look again.
func (l *limiter) release(key string, b *bucket, failed bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b.pending--
	if failed {
		l.failLocked(b, now)
	}
	if b.settled != nil {
		close(b.settled)
		b.settled = nil
	}
	if b.pending == 0 && l.levelLocked(b, now) >= l.burst && l.clients[key] == b {
		delete(l.clients, key) // full: as good as absent
	}
}

// bucketLocked returns key's bucket, making a full one if it has none.
func (l *limiter) bucketLocked(key string, now time.Time) *bucket {
	b, ok := l.clients[key]
	if !ok {
		l.makeRoomLocked(now)
		b = &bucket{tokens: l.burst, at: now}
		l.clients[key] = b
	}
	return b
}

// failLocked takes a token from b. The token acquire reserved keeps the
// level at 0 or above; the floor, the level that blocks for maxBlock, is a
// guard should a failure ever be counted without one.
func (l *limiter) failLocked(b *bucket, now time.Time) {
	floor := 1 - float64(maxBlock)/float64(l.per)
	b.tokens = max(floor, l.levelLocked(b, now)-1)
	b.at = now
}

// makeRoomLocked keeps the table under max entries: it forgets the
// addresses whose bucket has refilled (they are as good as absent) and,
// if that is not enough, the one whose last failure is oldest. A bucket
// with checks pending stays: forgetting it would hand the address a full
// one while its tokens are in use. (When every bucket has checks pending
// the table outgrows max by one, bounded by the requests in flight.)
func (l *limiter) makeRoomLocked(now time.Time) {
	if len(l.clients) < l.max {
		return
	}
	var oldest *bucket
	var oldestKey string
	for k, b := range l.clients {
		if b.pending > 0 {
			continue
		}
		if l.levelLocked(b, now) >= l.burst {
			delete(l.clients, k)
			continue
		}
		if oldest == nil || b.at.Before(oldest.at) {
			oldest, oldestKey = b, k
		}
	}
	if len(l.clients) >= l.max && oldest != nil {
		delete(l.clients, oldestKey)
	}
}

// len returns the number of addresses remembered (for tests).
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

package auth

import (
	"net/netip"
	"sync"
	"time"
)

// maxBlock caps how long an address stays refused however many failures
// it piled up.
const maxBlock = time.Hour

// limiter counts failed logins per client address in token buckets: an
// address starts with burst tokens, each failure takes one, and one comes
// back every per, up to burst. An address with less than one token is
// refused. Buckets may go below zero (failures of requests that were
// checked in parallel), which lengthens the block, down to maxBlock.
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

// blocked reports whether addr must wait, and how long, before its next
// attempt is checked.
func (l *limiter) blocked(addr string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[clientKey(addr)]
	if !ok {
		return 0, false
	}
	t := l.levelLocked(b, now)
	if t >= 1 {
		return 0, false
	}
	return time.Duration((1 - t) * float64(l.per)), true
}

// fail counts one failed login of addr.
func (l *limiter) fail(addr string) {
	now := l.now()
	key := clientKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[key]
	if !ok {
		l.makeRoomLocked(now)
		b = &bucket{tokens: l.burst, at: now}
		l.clients[key] = b
	}
	floor := 1 - float64(maxBlock)/float64(l.per)
	b.tokens = max(floor, l.levelLocked(b, now)-1)
	b.at = now
}

// makeRoomLocked keeps the table under max entries: it forgets the
// addresses whose bucket has refilled (they are as good as absent) and,
// if that is not enough, the one whose last failure is oldest.
func (l *limiter) makeRoomLocked(now time.Time) {
	if len(l.clients) < l.max {
		return
	}
	var oldest *bucket
	var oldestKey string
	for k, b := range l.clients {
		if l.levelLocked(b, now) >= l.burst {
			delete(l.clients, k)
			continue
		}
		if oldest == nil || b.at.Before(oldest.at) {
			oldest, oldestKey = b, k
		}
	}
	if len(l.clients) >= l.max {
		delete(l.clients, oldestKey)
	}
}

// len returns the number of addresses remembered (for tests).
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

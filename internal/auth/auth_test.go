package auth

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// clock is a settable time for the cache and the limiter.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// blocked reports whether addr must wait, and how long, before its next
// attempt is checked, as acquire does, without reserving anything (for
// tests).
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

// fail counts one failed login of addr, as a released failed check does,
// without a reservation (for tests).
func (l *limiter) fail(addr string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failLocked(l.bucketLocked(clientKey(addr), now), now)
}

func hash(t testing.TB, password string, cost int) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// newTest returns an Authenticator for alice ("wonderland", read-write)
// and bob ("builder", read-only under /bob), hashed at cost, with the
// number of bcrypt comparisons it makes and the hashes they used.
func newTest(t testing.TB, cost int, opts Options) (*Authenticator, *atomic.Int64, *[]string) {
	t.Helper()
	a, err := New([]User{
		{Name: "alice", Hash: hash(t, "wonderland", cost), Root: "/"},
		{Name: "bob", Hash: hash(t, "builder", cost), Root: "/bob", ReadOnly: true},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var mu sync.Mutex
	var used []string
	a.compare = func(h, p []byte) error {
		n.Add(1)
		mu.Lock()
		used = append(used, string(h))
		mu.Unlock()
		return bcrypt.CompareHashAndPassword(h, p)
	}
	return a, &n, &used
}

func TestCheck(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, bcrypt.MinCost, Options{})
	tests := []struct {
		name, user, password string
		want                 bool
	}{
		{"right password", "alice", "wonderland", true},
		{"right password, read-only user", "bob", "builder", true},
		{"wrong password", "alice", "Wonderland", false},
		{"another user's password", "alice", "builder", false},
		{"unknown user", "mallory", "wonderland", false},
		{"empty name", "", "wonderland", false},
		{"empty password", "alice", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := a.Check(tt.user, tt.password)
			if ok != tt.want {
				t.Fatalf("Check(%q, %q) = %v, want %v", tt.user, tt.password, ok, tt.want)
			}
			if ok && u.Name != tt.user {
				t.Fatalf("Check(%q) returned user %q", tt.user, u.Name)
			}
		})
	}
	if u, _ := a.Check("bob", "builder"); u.Root != "/bob" || !u.ReadOnly {
		t.Errorf("bob = %+v, want root /bob, read-only", u)
	}
}

// TestLongPasswords: bcrypt reads only 72 bytes, so a longer password
// that starts like the right one must not pass for it.
func TestLongPasswords(t *testing.T) {
	t.Parallel()
	p72 := strings.Repeat("x", 72)
	a, err := New([]User{{Name: "carol", Hash: hash(t, p72, bcrypt.MinCost)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Check("carol", p72); !ok {
		t.Error("the 72-byte password was refused")
	}
	if _, ok := a.Check("carol", p72+"anything"); ok {
		t.Error("an 80-byte password equal in its first 72 bytes was accepted")
	}
}

// TestUnknownUserCostsTheSame: an unknown name is compared with the dummy
// hash, of the users' cost, exactly once, as a known name is with its own.
func TestUnknownUserCostsTheSame(t *testing.T) {
	t.Parallel()
	a, n, used := newTest(t, 6, Options{CacheTTL: -1})
	if c, err := bcrypt.Cost(a.dummy); err != nil || c != 6 {
		t.Fatalf("dummy hash cost = %d, %v; want 6 (the users' cost)", c, err)
	}
	a.Check("mallory", "wonderland")
	a.Check("alice", "wrong")
	if n.Load() != 2 {
		t.Fatalf("%d bcrypt comparisons for two checks, want 2", n.Load())
	}
	if (*used)[0] != string(a.dummy) {
		t.Errorf("unknown user compared with %q, want the dummy hash", (*used)[0])
	}
	if (*used)[1] != string(a.users["alice"].hash) {
		t.Errorf("alice compared with %q, want her hash", (*used)[1])
	}
}

// BenchmarkCheckUnknownVsKnown reports the time of a check of an unknown
// name and of a known name with a wrong password (ns/unknown, ns/known):
// without the dummy comparison the first would be a thousand times faster,
// telling names apart. TestUnknownUserCostsTheSame checks the behaviour.
func BenchmarkCheckUnknownVsKnown(b *testing.B) {
	a, _, _ := newTest(b, 8, Options{CacheTTL: -1})
	var known, unknown time.Duration
	for b.Loop() {
		start := time.Now()
		a.Check("alice", "not the password")
		known += time.Since(start)
		start = time.Now()
		a.Check("mallory", "not the password")
		unknown += time.Since(start)
	}
	b.ReportMetric(float64(known.Nanoseconds())/float64(b.N), "ns/known")
	b.ReportMetric(float64(unknown.Nanoseconds())/float64(b.N), "ns/unknown")
	b.ReportMetric(float64(unknown)/float64(known), "unknown/known")
}

func TestCache(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a, n, _ := newTest(t, bcrypt.MinCost, Options{Now: clk.Now})
	check := func(what, user, password string, wantOK bool, wantCompares int64) {
		t.Helper()
		before := n.Load()
		if _, ok := a.Check(user, password); ok != wantOK {
			t.Fatalf("%s: Check = %v, want %v", what, ok, wantOK)
		}
		if got := n.Load() - before; got != wantCompares {
			t.Fatalf("%s: %d bcrypt comparisons, want %d", what, got, wantCompares)
		}
	}
	check("first login", "alice", "wonderland", true, 1)
	check("again at once", "alice", "wonderland", true, 0)
	clk.Advance(59 * time.Second)
	check("59s later", "alice", "wonderland", true, 0)
	check("wrong password is never cached", "alice", "wrong", false, 1)
	check("wrong password again", "alice", "wrong", false, 1)
	check("the right password of another user is not alice's", "alice", "builder", false, 1)
	clk.Advance(time.Second)
	check("a minute after the first verification", "alice", "wonderland", true, 1)
	check("cached again", "alice", "wonderland", true, 0)

	off, n2, _ := newTest(t, bcrypt.MinCost, Options{CacheTTL: -1})
	off.Check("alice", "wonderland")
	off.Check("alice", "wonderland")
	if n2.Load() != 2 || off.cache.len() != 0 {
		t.Errorf("cache off: %d comparisons, %d entries; want 2, 0", n2.Load(), off.cache.len())
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a, n, _ := newTest(t, bcrypt.MinCost, Options{Now: clk.Now})
	const attacker, other = "192.0.2.7", "198.51.100.1"

	if _, err := a.Login(other, "bob", "builder"); err != nil {
		t.Fatalf("bob's first login: %v", err)
	}
	for i := range 5 {
		if _, err := a.Login(attacker, "alice", "guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v, want ErrBadCredentials", i+1, err)
		}
	}
	before := n.Load()
	_, err := a.Login(attacker, "alice", "wonderland")
	var rl *RateLimitError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) {
		t.Fatalf("6th attempt: %v, want a *RateLimitError", err)
	}
	if rl.RetryAfter <= 0 || rl.RetryAfter > 12*time.Second {
		t.Errorf("RetryAfter = %v, want (0, 12s]", rl.RetryAfter)
	}
	if n.Load() != before {
		t.Errorf("a blocked attempt ran bcrypt")
	}
	if _, err := a.Login(other, "alice", "wonderland"); err != nil {
		t.Errorf("another address is blocked too: %v", err)
	}
	if _, err := a.Login(attacker, "bob", "builder"); err != nil {
		t.Errorf("a pair verified lately is refused from a blocked address: %v", err)
	}
	clk.Advance(12 * time.Second)
	if _, err := a.Login(attacker, "alice", "guess"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("after 12s one more attempt is checked, got %v", err)
	}
	if _, err := a.Login(attacker, "alice", "guess"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("and the next is refused, got %v", err)
	}
	clk.Advance(time.Minute)
	for i := range 5 {
		if _, err := a.Login(attacker, "alice", "guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("a minute later, failure %d: %v, want ErrBadCredentials", i+1, err)
		}
	}
}

// TestFailuresBeyondTheBurst: failures counted beyond the burst keep the
// address out longer, up to maxBlock. Login cannot count them (acquire
// reserves a token for each check); this tests failLocked's guard.
func TestFailuresBeyondTheBurst(t *testing.T) {
	t.Parallel()
	clk := newClock()
	l := newLimiter(Options{Now: clk.Now})
	for range 20 {
		l.fail("192.0.2.1")
	}
	if wait, ok := l.blocked("192.0.2.1"); !ok || wait != 16*12*time.Second {
		t.Errorf("after 20 failures: blocked %v for %v, want 192s", ok, wait)
	}
	for range 1000 {
		l.fail("192.0.2.1")
	}
	if wait, ok := l.blocked("192.0.2.1"); !ok || wait > maxBlock || wait < maxBlock-time.Minute {
		t.Errorf("after 1020 failures: blocked %v for %v, want about %v", ok, wait, maxBlock)
	}
}

func TestLimiterAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fail, then string
		blocked    bool
	}{
		{"same IPv4", "192.0.2.1", "192.0.2.1", true},
		{"other IPv4", "192.0.2.1", "192.0.2.2", false},
		{"IPv4-mapped IPv6 is the IPv4", "::ffff:192.0.2.1", "192.0.2.1", true},
		{"same IPv6 /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
		{"other IPv6 /64", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"not an address", "pipe", "pipe", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLimiter(Options{MaxFailures: 1, Now: newClock().Now})
			l.fail(tt.fail)
			if _, ok := l.blocked(tt.then); ok != tt.blocked {
				t.Errorf("after a failure of %s, %s blocked = %v, want %v", tt.fail, tt.then, ok, tt.blocked)
			}
		})
	}
}

// TestLimiterBounded: the table never holds more than MaxClients
// addresses; refilled ones go first, then the oldest failure.
func TestLimiterBounded(t *testing.T) {
	t.Parallel()
	clk := newClock()
	l := newLimiter(Options{MaxFailures: 1, MaxClients: 3, Now: clk.Now})
	addrs := []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"}
	for _, a := range addrs {
		clk.Advance(time.Second)
		l.fail(a)
		if l.len() > 3 {
			t.Fatalf("%d addresses remembered, MaxClients is 3", l.len())
		}
	}
	for _, a := range addrs[2:] {
		if _, ok := l.blocked(a); !ok {
			t.Errorf("%s, among the 3 latest failures, is not blocked", a)
		}
	}
	if _, ok := l.blocked(addrs[0]); ok {
		t.Errorf("%s, the oldest failure, is still remembered", addrs[0])
	}
	clk.Advance(2 * time.Minute) // every bucket refills
	l.fail("192.0.2.9")
	if l.len() != 1 {
		t.Errorf("%d addresses remembered after the others refilled, want 1", l.len())
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	good := hash(t, "x", bcrypt.MinCost)
	tests := []struct {
		name  string
		users []User
	}{
		{"duplicate name", []User{{Name: "a", Hash: good}, {Name: "a", Hash: good}}},
		{"not a bcrypt hash", []User{{Name: "a", Hash: "$2a$10$short"}}},
		{"plain text", []User{{Name: "a", Hash: "secret"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.users, Options{}); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	a, err := New(nil, Options{})
	if err != nil {
		t.Fatalf("New without users: %v", err)
	}
	if _, ok := a.Check("", ""); ok {
		t.Error("without users, an empty login was accepted")
	}
}

// TestConcurrentLogins runs logins, failures and cache hits side by side
// (for the race detector).
func TestConcurrentLogins(t *testing.T) {
	t.Parallel()
	a, _, _ := newTest(t, bcrypt.MinCost, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				if _, err := a.Login("192.0.2.1", "alice", "wonderland"); err != nil {
					errs <- err
				}
				a.Login("192.0.2.2", "alice", "wrong")
				a.Lookup("bob")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("alice's login: %v", err)
	}
}

// TestParallelGuessesAreNotAllChecked: of many wrong logins sent at once
// from one address, at most the burst (5) reach bcrypt; the others wait
// for those checks and are refused with 429 once they failed. The hook
// holds each comparison until the test lets go, so, without the
// reservation, every guess would be inside bcrypt by then.
func TestParallelGuessesAreNotAllChecked(t *testing.T) {
	t.Parallel()
	const guesses, burst = 30, 5
	a, n, _ := newTest(t, bcrypt.MinCost, Options{Now: newClock().Now})
	inside, letGo := make(chan struct{}, guesses), make(chan struct{})
	compare := a.compare
	a.compare = func(h, p []byte) error {
		inside <- struct{}{}
		<-letGo
		return compare(h, p)
	}
	errs := make(chan error, guesses)
	for i := range guesses {
		go func() {
			_, err := a.Login("192.0.2.7", "alice", "guess"+strconv.Itoa(i))
			errs <- err
		}()
	}
	for range burst {
		<-inside
	}
	// Give the other guesses the time to get past the limiter, which they
	// must not.
	time.Sleep(100 * time.Millisecond)
	close(letGo)
	var bad, limited int
	for range guesses {
		switch err := <-errs; {
		case errors.Is(err, ErrBadCredentials):
			bad++
		case errors.Is(err, ErrRateLimited):
			limited++
		default:
			t.Errorf("a wrong guess got %v", err)
		}
	}
	if n.Load() != burst || bad != burst || limited != guesses-burst {
		t.Errorf("%d guesses at once: %d bcrypt comparisons, %d refused as wrong, %d as too many; want %d, %d, %d",
			guesses, n.Load(), bad, limited, burst, burst, guesses-burst)
	}
	if l := a.limit.len(); l != 1 {
		t.Errorf("the limiter remembers %d addresses, want 1", l)
	}
	if wait, ok := a.limit.blocked("192.0.2.7"); !ok || wait > a.limit.per {
		t.Errorf("after %d guesses at once: blocked %v for %v, want at most %v (only the checked ones count)", guesses, ok, wait, a.limit.per)
	}
}

// TestParallelLoginsOfAUser: a client opening many connections at once,
// with the right password and nothing cached yet, is let in on every one:
// the logins beyond the burst wait for the first checks and then find the
// pair in the cache. Nothing is counted against the address.
func TestParallelLoginsOfAUser(t *testing.T) {
	t.Parallel()
	const logins = 20
	a, n, _ := newTest(t, bcrypt.MinCost, Options{Now: newClock().Now})
	errs := make(chan error, logins)
	for range logins {
		go func() {
			_, err := a.Login("192.0.2.8", "alice", "wonderland")
			errs <- err
		}()
	}
	for range logins {
		if err := <-errs; err != nil {
			t.Errorf("a right login sent with %d others: %v", logins-1, err)
		}
	}
	if c := n.Load(); c > 5 {
		t.Errorf("%d bcrypt comparisons for one pair sent %d times at once, want at most 5", c, logins)
	}
	if l := a.limit.len(); l != 0 {
		t.Errorf("after only successes the limiter remembers %d addresses, want 0", l)
	}
	for i := range 4 {
		if _, err := a.Login("192.0.2.8", "alice", "guess"+strconv.Itoa(i)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong guess %d after the successes: %v", i+1, err)
		}
	}
	if _, err := a.Login("192.0.2.8", "bob", "builder"); err != nil {
		t.Errorf("a right login within the budget: %v", err)
	}
}

// TestLoginAfterTheBlock: once an address's block ends, one attempt is
// checked again, and a right password is let in.
func TestLoginAfterTheBlock(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a, _, _ := newTest(t, bcrypt.MinCost, Options{Now: clk.Now, CacheTTL: -1})
	for range 5 {
		a.Login("192.0.2.9", "alice", "guess")
	}
	_, err := a.Login("192.0.2.9", "alice", "wonderland")
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("the sixth attempt: %v, want a *RateLimitError", err)
	}
	clk.Advance(rl.RetryAfter)
	if _, err := a.Login("192.0.2.9", "alice", "wonderland"); err != nil {
		t.Errorf("the right password after Retry-After: %v", err)
	}
}

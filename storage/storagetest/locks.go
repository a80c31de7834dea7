package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// clockSkew is how far a store's clock (a database's, for a shared store)
// may stray from the test's when Expires is checked.
const clockSkew = 5 * time.Second

// testLocks checks the lock table (RFC 4918 §6, §7): what a lock keeps,
// which locks conflict, which Locks returns and in what order, expiry,
// refresh, removal, persistence, validation, and CreateLock racing.
func testLocks(t *testing.T, open Opener) {
	tests := []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"read back", testLockReadBack},
		{"conflicts §6.1", testLockConflicts},
		{"related locks §7", testLockRelated},
		{"expiry §6.6", testLockExpiry},
		{"refresh §9.10.2", testLockRefresh},
		{"delete §9.11", testLockDelete},
		{"delete under", testLocksUnder},
		{"persistence", testLockPersistence},
		{"invalid", testLockInvalid},
		{"closed", testLockClosed},
		{"canceled context", testLockCanceled},
		{"racing creates", testLockRace},
		{"principal §6.4", testLockPrincipal},
		{"limit per resource", testLockLimitResource},
		{"limit per principal", testLockLimitPrincipal},
		{"racing limits", testLockLimitRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open)
		})
	}
}

// lockTable returns s as a storage.LockTable, failing the test if it is not
// one.
func lockTable(t *testing.T, s store) storage.LockTable {
	t.Helper()
	lt, ok := s.(storage.LockTable)
	if !ok {
		t.Fatalf("%T is not a storage.LockTable", s)
	}
	return lt
}

// newLockTable opens a store in a fresh folder, as a storage.LockTable.
func newLockTable(t *testing.T, open Opener) storage.LockTable {
	t.Helper()
	return lockTable(t, newStore(t, open))
}

// testLockReadBack checks that CreateLock returns the lock as given with
// Expires set, and Locks returns it again, byte for byte: an owner in
// several scripts (and a byte that is not UTF-8), its namespaces, and a
// root that is not UTF-8.
func testLockReadBack(t *testing.T, open Opener) {
	lt := newLockTable(t, open)
	full := storage.Lock{
		Token:     "urn:uuid:0e4b3c5a-9c1f-4d7e-8b2a-1f0e6d5c4b3a",
		Root:      "/not\xffutf-8 ünï 𝄞/日本",
		Depth0:    true,
		Shared:    true,
		Owner:     []byte(`<D:href>mailto:ünï@例え.jp</D:href><x:n xmlns:x="urn:𝄞">𝄞 \xff</x:n>`),
		OwnerNS:   map[string]string{"": "urn:default", "D": "DAV:", "ü": "urn:ünï:𝄞"},
		Timeout:   10 * time.Minute,
		Principal: "ålice 𝄞",
	}
	bare := storage.Lock{Token: "urn:uuid:bare", Root: "/bare", Timeout: time.Hour}
	for _, l := range []storage.Lock{full, bare} {
		want := l
		want.Owner, want.OwnerNS = bytes.Clone(l.Owner), maps.Clone(l.OwnerNS)
		got := checkCreate(t, lt, l)
		if len(l.Owner) > 0 { // the store keeps its own copy
			l.Owner[0] = '!'
			l.OwnerNS["late"] = "urn:late"
		}
		want.Expires = got.Expires
		if !equalLock(got, want) {
			t.Errorf("CreateLock returned\n%s\nwant\n%s", formatLock(got), formatLock(want))
		}
		locks := mustLocks(t, lt, want.Root)
		if len(locks) != 1 || !equalLock(locks[0], want) {
			t.Errorf("Locks(%q) =\n%s\nwant\n%s", want.Root, formatLocks(locks), formatLock(want))
		}
	}
}

// testLockConflicts checks, for pairs of locks in both orders, that the
// second is refused with storage.ErrLocked exactly when they conflict, and
// that a refused lock is not kept.
func testLockConflicts(t *testing.T, open Opener) {
	x := func(root string) storage.Lock { return storage.Lock{Root: root} }
	x0 := func(root string) storage.Lock { return storage.Lock{Root: root, Depth0: true} }
	s := func(root string) storage.Lock { return storage.Lock{Root: root, Shared: true} }
	s0 := func(root string) storage.Lock { return storage.Lock{Root: root, Shared: true, Depth0: true} }
	tests := []struct {
		name     string
		a, b     storage.Lock
		conflict bool
	}{
		{"exclusive and exclusive on one root §6.1", x("/a"), x("/a"), true},
		{"exclusive depth 0 and exclusive on one root §6.1", x0("/a"), x0("/a"), true},
		{"shared and shared on one root §6.1", s("/a"), s0("/a"), false},
		{"shared and exclusive on one root §6.1", s("/a"), x0("/a"), true},
		{"depth infinity covers a member §6.1", x("/a"), x0("/a/b"), true},
		{"depth infinity covers a deep member §6.1", x("/a"), s("/a/b/c"), true},
		{"shared depth infinity and exclusive member §6.1", s("/a"), x("/a/b"), true},
		{"shared depth infinity and shared member §6.1", s("/a"), s("/a/b"), false},
		{"depth infinity on the root §6.1", x("/"), x0("/z"), true},
		{"depth 0 does not cover a member §7.4", x0("/a"), x("/a/b"), false},
		{"depth 0 on the root §7.4", x0("/"), x("/a"), false},
		{"prefix sibling is not a member", x("/a"), x("/ab"), false},
		{"prefix sibling with a space is not a member", x("/a"), x("/a b"), false},
		{"siblings", x("/a/b"), x("/a/c"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lt := newLockTable(t, open)
			for i, pair := range [][2]storage.Lock{{tt.a, tt.b}, {tt.b, tt.a}} {
				first, second := pair[0], pair[1]
				first.Token, first.Timeout = fmt.Sprintf("urn:t:%d:first", i), time.Hour
				second.Token, second.Timeout = fmt.Sprintf("urn:t:%d:second", i), time.Hour
				mustCreate(t, lt, first)
				_, err := lt.CreateLock(context.Background(), second, storage.LockLimits{})
				switch {
				case tt.conflict && !errors.Is(err, storage.ErrLocked):
					t.Errorf("CreateLock %s after %s = %v, want storage.ErrLocked", formatLock(second), formatLock(first), err)
				case !tt.conflict && err != nil:
					t.Errorf("CreateLock %s after %s = %v, want nil", formatLock(second), formatLock(first), err)
				}
				want := []string{first.Token}
				if !tt.conflict {
					want = append(want, second.Token)
				}
				checkTokens(t, lt, "/", want)
				for _, tok := range want {
					mustDelete(t, lt, tok)
				}
			}
		})
	}
}

// testLockRelated checks that Locks(p) returns the locks rooted at p, above
// it (whatever their depth) and below it, never those of prefix siblings,
// oldest first, and that a refresh does not make a lock younger.
func testLockRelated(t *testing.T, open Opener) {
	lt := newLockTable(t, open)
	roots := []string{"/a/b/c", "/", "/x", "/a", "/ab", "/a/b", "/a b", "/a/bc"}
	tok := make(map[string]string) // root → token
	for i, r := range roots {
		if i > 0 {
			time.Sleep(2 * time.Millisecond) // distinct creation times
		}
		// Tokens sort against creation order, so that order by token fails.
		tok[r] = fmt.Sprintf("urn:t:%02d", len(roots)-i)
		mustCreate(t, lt, storage.Lock{Token: tok[r], Root: r, Shared: true, Depth0: r == "/a", Timeout: time.Hour})
	}
	want := map[string][]string{
		"/":        roots,
		"/a":       {"/a/b/c", "/", "/a", "/a/b", "/a/bc"},
		"/a/b":     {"/a/b/c", "/", "/a", "/a/b"},
		"/a/b/c/d": {"/a/b/c", "/", "/a", "/a/b"},
		"/ab":      {"/", "/ab"},
		"/a b":     {"/", "/a b"},
		"/nobody":  {"/"},
	}
	check := func() {
		t.Helper()
		for p, rs := range want {
			toks := make([]string, len(rs))
			for i, r := range rs {
				toks[i] = tok[r]
			}
			checkTokens(t, lt, p, toks)
		}
	}
	check()
	if _, err := lt.RefreshLock(context.Background(), tok[roots[0]], 2*time.Hour); err != nil {
		t.Fatalf("RefreshLock: %v", err)
	}
	check()
}

// testLockExpiry checks that an expired lock is gone for every method: not
// returned, not refreshed or deleted, conflicting with nothing, its token
// free again.
func testLockExpiry(t *testing.T, open Opener) {
	ctx := context.Background()
	lt := newLockTable(t, open)
	short := storage.Lock{Token: "urn:t:short", Root: "/a", Timeout: 50 * time.Millisecond}
	checkCreate(t, lt, short)
	time.Sleep(150 * time.Millisecond)
	checkTokens(t, lt, "/a", nil)
	checkTokens(t, lt, "/", nil)
	if _, err := lt.RefreshLock(ctx, short.Token, time.Hour); !errors.Is(err, storage.ErrNoLock) {
		t.Errorf("RefreshLock of an expired lock = %v, want storage.ErrNoLock", err)
	}
	if err := lt.DeleteLock(ctx, short.Token); !errors.Is(err, storage.ErrNoLock) {
		t.Errorf("DeleteLock of an expired lock = %v, want storage.ErrNoLock", err)
	}
	mustCreate(t, lt, storage.Lock{Token: "urn:t:member", Root: "/a/b", Timeout: time.Hour})
	mustCreate(t, lt, storage.Lock{Token: short.Token, Root: "/z", Timeout: time.Hour})
	checkTokens(t, lt, "/", []string{"urn:t:member", short.Token})
}

// testLockRefresh checks that RefreshLock restarts the timeout with the one
// given and changes nothing else, and refuses unknown tokens.
func testLockRefresh(t *testing.T, open Opener) {
	ctx := context.Background()
	lt := newLockTable(t, open)
	l := checkCreate(t, lt, storage.Lock{
		Token: "urn:t:r", Root: "/a", Owner: []byte("<D:href>me</D:href>"),
		OwnerNS: map[string]string{"D": "DAV:"}, Timeout: time.Minute, Principal: "alice",
	})
	time.Sleep(5 * time.Millisecond)
	before := time.Now()
	got, err := lt.RefreshLock(ctx, l.Token, time.Hour)
	if err != nil {
		t.Fatalf("RefreshLock: %v", err)
	}
	checkExpires(t, got, before, time.Now())
	want := l
	want.Timeout, want.Expires = time.Hour, got.Expires
	if !equalLock(got, want) {
		t.Errorf("RefreshLock returned\n%s\nwant\n%s", formatLock(got), formatLock(want))
	}
	if locks := mustLocks(t, lt, "/a"); len(locks) != 1 || !equalLock(locks[0], want) {
		t.Errorf("Locks(/a) after refresh =\n%s\nwant\n%s", formatLocks(locks), formatLock(want))
	}
	if _, err := lt.RefreshLock(ctx, "urn:t:unknown", time.Hour); !errors.Is(err, storage.ErrNoLock) {
		t.Errorf("RefreshLock of an unknown token = %v, want storage.ErrNoLock", err)
	}
}

// testLockDelete checks that DeleteLock removes one lock, once, and that
// its root can then be locked again.
func testLockDelete(t *testing.T, open Opener) {
	ctx := context.Background()
	lt := newLockTable(t, open)
	mustCreate(t, lt, storage.Lock{Token: "urn:t:1", Root: "/a", Timeout: time.Hour})
	mustCreate(t, lt, storage.Lock{Token: "urn:t:2", Root: "/b", Timeout: time.Hour})
	mustDelete(t, lt, "urn:t:1")
	for _, tok := range []string{"urn:t:1", "urn:t:unknown"} {
		if err := lt.DeleteLock(ctx, tok); !errors.Is(err, storage.ErrNoLock) {
			t.Errorf("DeleteLock(%q) = %v, want storage.ErrNoLock", tok, err)
		}
	}
	checkTokens(t, lt, "/", []string{"urn:t:2"})
	mustCreate(t, lt, storage.Lock{Token: "urn:t:3", Root: "/a", Timeout: time.Hour})
	checkTokens(t, lt, "/", []string{"urn:t:2", "urn:t:3"})
}

// testLocksUnder checks that DeleteLocksUnder removes the locks rooted at p
// and below, and no other.
func testLocksUnder(t *testing.T, open Opener) {
	ctx := context.Background()
	lt := newLockTable(t, open)
	roots := []string{"/", "/a", "/a/b", "/a/b/c", "/ab", "/a b", "/x"}
	for i, r := range roots {
		mustCreate(t, lt, storage.Lock{Token: fmt.Sprintf("urn:t:%d", i), Root: r, Shared: true, Timeout: time.Hour})
	}
	steps := []struct {
		p    string
		want []string // tokens left
	}{
		{"/nobody", []string{"urn:t:0", "urn:t:1", "urn:t:2", "urn:t:3", "urn:t:4", "urn:t:5", "urn:t:6"}},
		{"/a/b/c/d", []string{"urn:t:0", "urn:t:1", "urn:t:2", "urn:t:3", "urn:t:4", "urn:t:5", "urn:t:6"}},
		{"/a", []string{"urn:t:0", "urn:t:4", "urn:t:5", "urn:t:6"}},
		{"/x", []string{"urn:t:0", "urn:t:4", "urn:t:5"}},
		{"/", nil},
		{"/", nil},
	}
	for _, st := range steps {
		if err := lt.DeleteLocksUnder(ctx, st.p); err != nil {
			t.Fatalf("DeleteLocksUnder(%q): %v", st.p, err)
		}
		checkTokens(t, lt, "/", st.want)
	}
	if err := lt.DeleteLock(ctx, "urn:t:2"); !errors.Is(err, storage.ErrNoLock) {
		t.Errorf("DeleteLock of a lock removed by DeleteLocksUnder = %v, want storage.ErrNoLock", err)
	}
}

// testLockPersistence checks that locks, refreshed or not, are all there
// after Close and a reopen, exactly; and removals too.
func testLockPersistence(t *testing.T, open Opener) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openIn(t, open, dir)
	lt := lockTable(t, s)
	var want []storage.Lock
	for i, r := range []string{"/a", "/a/b\xff", "/c"} {
		want = append(want, checkCreate(t, lt, storage.Lock{
			Token: fmt.Sprintf("urn:t:%d", i), Root: r, Shared: true, Depth0: i == 1,
			Owner: []byte(fmt.Sprintf("<o>%d 𝄞</o>", i)), OwnerNS: map[string]string{"": "urn:o"},
			Timeout: time.Duration(i+1) * time.Hour, Principal: []string{"alice", "", "bob"}[i],
		}))
	}
	got, err := lt.RefreshLock(ctx, "urn:t:0", 3*time.Hour)
	if err != nil {
		t.Fatalf("RefreshLock: %v", err)
	}
	want[0] = got
	mustDelete(t, lt, "urn:t:2")
	want = want[:2]
	reopen := func() {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		s = openIn(t, open, dir)
		lt = lockTable(t, s)
	}
	reopen()
	if locks := mustLocks(t, lt, "/"); !equalLocks(locks, want) {
		t.Errorf("Locks(/) after reopen =\n%s\nwant\n%s", formatLocks(locks), formatLocks(want))
	}
	if err := lt.DeleteLocksUnder(ctx, "/a/b\xff"); err != nil {
		t.Fatalf("DeleteLocksUnder: %v", err)
	}
	reopen()
	if locks := mustLocks(t, lt, "/"); !equalLocks(locks, want[:1]) {
		t.Errorf("Locks(/) after reopen =\n%s\nwant\n%s", formatLocks(locks), formatLocks(want[:1]))
	}
}

// testLockRace has 32 goroutines race for an exclusive lock on one root:
// one wins, the others get storage.ErrLocked; and as many for shared locks
// on another: all win.
func testLockRace(t *testing.T, open Opener) {
	lt := newLockTable(t, open)
	const n = 32
	race := func(root string, shared bool) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				l := storage.Lock{Token: fmt.Sprintf("urn:t:%s:%02d", root, i), Root: root, Shared: shared, Timeout: time.Hour}
				_, errs[i] = lt.CreateLock(context.Background(), l, storage.LockLimits{})
			})
		}
		wg.Wait()
		return errs
	}
	var winner string
	for i, err := range race("/x", false) {
		switch {
		case err == nil && winner != "":
			t.Errorf("exclusive locks %s and %d both granted", winner, i)
		case err == nil:
			winner = fmt.Sprintf("urn:t:/x:%02d", i)
		case !errors.Is(err, storage.ErrLocked):
			t.Errorf("racing CreateLock #%d = %v, want nil or storage.ErrLocked", i, err)
		}
	}
	if winner == "" {
		t.Fatal("no racing exclusive CreateLock succeeded")
	}
	checkTokens(t, lt, "/x", []string{winner})
	for i, err := range race("/s", true) {
		if err != nil {
			t.Errorf("racing shared CreateLock #%d = %v, want nil", i, err)
		}
	}
	if locks := mustLocks(t, lt, "/s"); len(locks) != n {
		t.Errorf("Locks(/s) holds %d locks, want %d", len(locks), n)
	}
}

// checkCreate creates l and checks the Expires the store gave it.
func checkCreate(t *testing.T, lt storage.LockTable, l storage.Lock) storage.Lock {
	t.Helper()
	before := time.Now()
	got := mustCreate(t, lt, l)
	checkExpires(t, got, before, time.Now())
	return got
}

// checkExpires checks that l.Expires is l.Timeout after a moment between
// before and after, give or take clockSkew.
func checkExpires(t *testing.T, l storage.Lock, before, after time.Time) {
	t.Helper()
	lo, hi := before.Add(l.Timeout-clockSkew), after.Add(l.Timeout+clockSkew)
	if l.Expires.Before(lo) || l.Expires.After(hi) {
		t.Errorf("lock %q expires %v, want %v after a moment in [%v, %v]", l.Token, l.Expires, l.Timeout, before, after)
	}
}

func mustCreate(t *testing.T, lt storage.LockTable, l storage.Lock) storage.Lock {
	t.Helper()
	return mustCreateWithin(t, lt, l, storage.LockLimits{})
}

func mustCreateWithin(t *testing.T, lt storage.LockTable, l storage.Lock, lim storage.LockLimits) storage.Lock {
	t.Helper()
	got, err := lt.CreateLock(context.Background(), l, lim)
	if err != nil {
		t.Fatalf("CreateLock %s within %+v: %v", formatLock(l), lim, err)
	}
	return got
}

func mustDelete(t *testing.T, lt storage.LockTable, token string) {
	t.Helper()
	if err := lt.DeleteLock(context.Background(), token); err != nil {
		t.Fatalf("DeleteLock(%q): %v", token, err)
	}
}

func mustLocks(t *testing.T, lt storage.LockTable, p string) []storage.Lock {
	t.Helper()
	locks, err := lt.Locks(context.Background(), p)
	if err != nil {
		t.Fatalf("Locks(%q): %v", p, err)
	}
	return locks
}

// checkTokens checks that Locks(p) returns the locks of want, in order.
func checkTokens(t *testing.T, lt storage.LockTable, p string, want []string) {
	t.Helper()
	locks := mustLocks(t, lt, p)
	got := make([]string, len(locks))
	for i, l := range locks {
		got[i] = l.Token
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Locks(%q) tokens = %q, want %q", p, got, want)
	}
}

// equalLock compares every field, Expires as an instant.
func equalLock(a, b storage.Lock) bool {
	return a.Token == b.Token && a.Root == b.Root && a.Depth0 == b.Depth0 && a.Shared == b.Shared &&
		bytes.Equal(a.Owner, b.Owner) && maps.Equal(a.OwnerNS, b.OwnerNS) &&
		a.Timeout == b.Timeout && a.Expires.Equal(b.Expires) && a.Principal == b.Principal
}

func equalLocks(a, b []storage.Lock) bool {
	return slices.EqualFunc(a, b, equalLock)
}

func formatLock(l storage.Lock) string {
	return fmt.Sprintf("\t{Token:%q Root:%q Depth0:%t Shared:%t Owner:%q OwnerNS:%q Timeout:%v Expires:%v Principal:%q}",
		l.Token, l.Root, l.Depth0, l.Shared, l.Owner, l.OwnerNS, l.Timeout, l.Expires, l.Principal)
}

func formatLocks(ls []storage.Lock) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(formatLock(l) + "\n")
	}
	return b.String()
}

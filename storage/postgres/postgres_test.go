package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/storagetest"
)

// EnvURL names the environment variable holding the URL of a PostgreSQL
// database the tests may use (make test starts a throwaway cluster and
// sets it). Each test works in schemas of its own, dropped at its end.
const EnvURL = "ATOMDAV_TEST_POSTGRES"

// testURL returns the test database's URL, or skips the test (fails it
// with CI=true) when there is none.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		msg := EnvURL + " is not set: install the Debian package postgresql and run make test, which starts a throwaway cluster"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// schemas opens stores in schemas of their own, one per folder, on the
// test database, and drops them all when the test ends.
type schemas struct {
	base string
	mu   sync.Mutex
	made map[string]bool
}

func newSchemas(t testing.TB) *schemas {
	sc := &schemas{base: testURL(t), made: map[string]bool{}}
	t.Cleanup(func() { sc.dropAll(t) })
	return sc
}

// url returns the URL of the schema kept for dir, creating it if need be.
func (sc *schemas) url(t testing.TB, dir string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(dir))
	name := "t_" + hex.EncodeToString(sum[:10])
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.made[name] {
		sc.exec(t, `CREATE SCHEMA IF NOT EXISTS `+name)
		sc.made[name] = true
	}
	u, err := url.Parse(sc.base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func (sc *schemas) open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), sc.url(t, dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func (sc *schemas) dropAll(t testing.TB) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for name := range sc.made {
		sc.exec(t, `DROP SCHEMA IF EXISTS `+name+` CASCADE`)
	}
}

func (sc *schemas) exec(t testing.TB, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, sc.base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Errorf("%s: %v", sql, err)
	}
}

func TestConformance(t *testing.T) {
	sc := newSchemas(t)
	storagetest.Run(t, func(t *testing.T, dir string) storage.Store { return sc.open(t, dir) })
}

// TestLockRaceAcrossInstances has two Stores on one database (two atomdav
// instances) race for exclusive locks on one root: exactly one wins.
func TestLockRaceAcrossInstances(t *testing.T) {
	sc := newSchemas(t)
	dir := t.TempDir()
	a, b := sc.open(t, dir), sc.open(t, dir)
	defer a.Close()
	defer b.Close()
	for round := range 10 {
		root := fmt.Sprintf("/race/%d", round)
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range errs {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				// Alternate a member and the root: they conflict too (§6.1).
				r := root
				if i%3 == 0 {
					r += "/member"
				}
				_, errs[i] = s.CreateLock(context.Background(), storage.Lock{Token: fmt.Sprintf("urn:t:%d:%d", round, i), Root: r, Timeout: time.Hour}, storage.LockLimits{})
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, storage.ErrLocked):
				t.Errorf("round %d: CreateLock #%d = %v, want nil or storage.ErrLocked", round, i, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d conflicting locks granted across two instances, want 1", round, won)
		}
	}
}

// TestPatchAcrossInstances has writers on two Stores over one database set
// P1..P5 of one resource to their own value in each patch; readers on
// both must see the five agree, during and after.
func TestPatchAcrossInstances(t *testing.T) {
	sc := newSchemas(t)
	dir := t.TempDir()
	stores := []*Store{sc.open(t, dir), sc.open(t, dir)}
	for _, s := range stores {
		defer s.Close()
	}
	ctx := context.Background()
	names := make([]xml.Name, 5)
	for i := range names {
		names[i] = xml.Name{Space: "urn:same", Local: fmt.Sprintf("P%d", i+1)}
	}
	agree := func(s *Store, final bool) bool {
		got, err := s.Props(ctx, "/same")
		switch {
		case err != nil:
			t.Errorf("Props: %v", err)
			return false
		case len(got) == 0 && !final:
			return true
		case len(got) != len(names):
			t.Errorf("Props(/same) has %d properties, want %d", len(got), len(names))
			return false
		}
		for _, n := range names[1:] {
			if string(got[n]) != string(got[names[0]]) {
				t.Errorf("Props(/same) disagree, patches interleaved: %q", got)
				return false
			}
		}
		return true
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for _, s := range stores {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if !agree(s, false) {
					return
				}
			}
		})
	}
	var wg sync.WaitGroup
	for g := range 16 {
		s := stores[g%2]
		wg.Go(func() {
			for i := range 20 {
				v := []byte(fmt.Sprintf(`<P xmlns="urn:same">%d-%d</P>`, g, i))
				set := make(map[xml.Name][]byte)
				for _, n := range names {
					set[n] = v
				}
				if err := s.PatchProps(ctx, "/same", set, nil); err != nil {
					t.Errorf("PatchProps: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()
	for _, s := range stores {
		agree(s, true)
	}
}

// TestOpenUnreachable checks that a database that cannot be reached is
// ErrUnavailable, promptly.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	_, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=5")
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open of an unreachable database = %v, want ErrUnavailable", err)
	}
}

// TestIntentLeases checks that an instance sees its own intents, not those
// of a live instance, and adopts, alone, those of an instance whose lease
// ran out or whose process died (its instance lock freed).
func TestIntentLeases(t *testing.T) {
	sc := newSchemas(t)
	dir := t.TempDir()
	ctx := context.Background()
	a, b, c := sc.open(t, dir), sc.open(t, dir), sc.open(t, dir)
	defer a.Close()
	defer b.Close()
	defer c.Close()
	in, err := a.BeginIntent(ctx, storage.Intent{Op: storage.OpMove, Src: "/x", Dst: "/y"})
	if err != nil {
		t.Fatal(err)
	}
	list := func(s *Store) []storage.Intent {
		t.Helper()
		ins, err := s.Intents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ins
	}
	if got := list(a); len(got) != 1 || got[0] != in {
		t.Errorf("owner's Intents = %+v, want [%+v]", got, in)
	}
	if got := list(b); len(got) != 0 {
		t.Errorf("Intents of another instance while the owner lives = %+v, want none", got)
	}
	// b's machine vanishes: its lease runs out without a renewal, though
	// its session (and instance lock) lingers.
	inB, err := b.BeginIntent(ctx, storage.Intent{Op: storage.OpDelete, Src: "/z"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE atomdav_instances SET expires = clock_timestamp() - interval '1 second' WHERE id = $1`, b.instance); err != nil {
		t.Fatal(err)
	}
	if got := list(c); len(got) != 1 || got[0] != inB {
		t.Errorf("survivor's Intents after a lease ran out = %+v, want it to adopt [%+v]", got, inB)
	}
	// a's process is killed: its connection closes, freeing its instance
	// lock, while its lease has time left.
	a.closeLease()
	// PostgreSQL frees a closed session's locks a moment after the close
	// returns; "at once" means well inside the 30 s lease, so a few
	// seconds' guard still tells adoption from expiry.
	var got []storage.Intent
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got = list(c); len(got) == 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(got) != 2 || got[0] != in || got[1] != inB {
		t.Errorf("survivor's Intents after a crash = %+v, want it to adopt [%+v %+v] at once", got, in, inB)
	}
	if got := list(b); len(got) != 0 {
		t.Errorf("another instance's Intents = %+v, want none: c adopted them", got)
	}
	if err := c.CompleteIntent(ctx, in.ID); err != nil {
		t.Errorf("CompleteIntent by the adopter: %v", err)
	}
}

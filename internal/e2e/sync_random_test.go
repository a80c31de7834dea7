package e2e

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// flagLiveDisk mixes changes made on disk while the server runs into the
// randomized sync tests (the watcher's part); -sync-live-disk=false leaves
// only WebDAV changes while it runs, to tell a fault of the watcher from
// one of the journal.
var flagLiveDisk = flag.Bool("sync-live-disk", true, "randomized sync tests: also change the disk while the server runs")

// flagSyncSeed replays the randomized sync tests' changes from the seed a
// failure logged (their timing, against the watcher, is not replayed).
var flagSyncSeed = flag.Uint64("sync-seed", 0, "randomized sync tests: the seed (0: from the clock)")

// syncSeed is the seed of a randomized sync test, logged.
func syncSeed(t *testing.T) uint64 {
	seed := *flagSyncSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d", seed)
	return seed
}

// syncProps are what the randomized sync tests compare of each member:
// its ETag (a folder's moves with its members), whether it is a folder,
// and a dead property.
var syncProps = []string{"D:getetag", "D:resourcetype", `Z:color xmlns:Z="` + nsZ + `"`}

// tokenClient knows a tree only through sync-collection REPORTs, each from
// the token the last one gave: path (no trailing slash) → signature.
type tokenClient struct {
	token string
	view  map[string]string
	limit int // DAV:limit of each REPORT (0: none), so pages go on by tokens
}

// newTokenClient is a client that knows nothing yet, asking for pages of
// a size picked by rng (none, 3, 4 or 7), so that continuation tokens are
// followed through changes and trees moved in; one change deeper than the
// limit (507 number-of-matches-within-limits) is asked for again without.
func newTokenClient(t *testing.T, rng *rand.Rand) *tokenClient {
	limit := []int{0, 3, 4, 7}[rng.IntN(4)]
	t.Logf("DAV:limit %d", limit)
	return &tokenClient{view: map[string]string{}, limit: limit}
}

// memberSig is what a client compares of a member.
func memberSig(props map[string]string) string {
	return fmt.Sprintf("etag=%s type=%s color=%s", props["getetag"], strings.TrimSpace(props["resourcetype"]), props["color"])
}

// catchUp brings c up to date through s.
func (c *tokenClient) catchUp(t *testing.T, s *server) {
	t.Helper()
	for pages := 0; ; pages++ {
		r := s.do(t, "REPORT", "/", syncBody(c.token, "infinite", c.limit, syncProps...), "Depth", "0")
		if r.Status == http.StatusInsufficientStorage && strings.Contains(string(r.Body), "number-of-matches-within-limits") {
			// The limit is below the depth of a change: ask again without.
			r = s.do(t, "REPORT", "/", syncBody(c.token, "infinite", 0, syncProps...), "Depth", "0")
		}
		want(t, r, http.StatusMultiStatus, "sync-collection from "+c.token)
		a := parseSync(t, r.Body)
		for _, h := range a.Order {
			p := strings.TrimSuffix(h, "/")
			if p == "" {
				continue
			}
			if a.Members[h].Status == http.StatusNotFound {
				for q := range c.view {
					if q == p || strings.HasPrefix(q, p+"/") {
						delete(c.view, q)
					}
				}
				continue
			}
			c.view[p] = memberSig(a.Members[h].Props)
		}
		c.token = a.Token
		if !a.Truncated {
			return
		}
		if pages > 1000 {
			t.Fatal("the continuation tokens never end")
		}
	}
}

// walk is what a full PROPFIND walk of s sees: path → signature.
func walk(t *testing.T, s *server) map[string]string {
	t.Helper()
	out := map[string]string{}
	var visit func(dir string)
	visit = func(dir string) {
		body := `<D:propfind xmlns:D="DAV:"><D:prop><` + strings.Join(syncProps, "/><") + `/></D:prop></D:propfind>`
		r := s.do(t, "PROPFIND", dir, body, "Depth", "1")
		if r.Status == http.StatusNotFound {
			return // gone while walking: the next round sees it
		}
		want(t, r, http.StatusMultiStatus, "PROPFIND "+dir)
		a := parseSync(t, []byte(strings.Replace(string(r.Body), "</D:multistatus>", "<D:sync-token>x</D:sync-token></D:multistatus>", 1)))
		for _, h := range a.Order {
			p := strings.TrimSuffix(h, "/")
			if p == "" || h == dir {
				continue
			}
			out[p] = memberSig(a.Members[h].Props)
			if strings.HasSuffix(h, "/") {
				visit(h)
			}
		}
	}
	visit("/")
	return out
}

// settle waits until c, syncing through s, holds what a walk sees (the
// watcher journals changes made on disk a moment after they are made);
// the deadline bounds a failure, it is not a measurement.
func settle(t *testing.T, c *tokenClient, s *server, what string) {
	t.Helper()
	var diff []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c.catchUp(t, s)
		w := walk(t, s)
		diff = diff[:0]
		for p, sig := range w {
			if c.view[p] != sig {
				diff = append(diff, fmt.Sprintf("%s: client %q, walk %q", p, c.view[p], sig))
			}
		}
		for p := range c.view {
			if _, ok := w[p]; !ok {
				diff = append(diff, p+": the client holds it, the walk does not")
			}
		}
		if len(diff) == 0 {
			return
		}
	}
	slices.Sort(diff)
	t.Fatalf("%s: the token-syncing client never caught up with the walk:\n%s", what, strings.Join(diff, "\n"))
}

// randomChanges makes n random changes to the share: through WebDAV (PUT,
// MKCOL, DELETE, MOVE, COPY, PROPPATCH) via web, and, with
// -sync-live-disk, straight on the disk in dir (write, remove, make a
// folder, rename) as a user or a backup restore would; web nil (a
// stopped server) makes only disk changes.
func randomChanges(t *testing.T, rng *rand.Rand, web *server, dir string, n int) {
	t.Helper()
	names := []string{"a", "b", "c", "d"}
	pick := func() string { // a path of depth 1 to 3
		p := ""
		for range 1 + rng.IntN(3) {
			p += "/" + names[rng.IntN(len(names))]
		}
		return p
	}
	local := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	for i := range n {
		p, q := pick(), pick()
		if web != nil && (!*flagLiveDisk || rng.IntN(2) == 0) {
			switch rng.IntN(6) {
			case 0:
				web.do(t, "PUT", p+".txt", strings.Repeat("w", rng.IntN(64)))
			case 1:
				web.do(t, "MKCOL", p, "")
			case 2:
				web.do(t, "DELETE", p, "")
			case 3:
				web.do(t, "MOVE", p, "", "Destination", web.URL+q, "Overwrite", "T")
			case 4:
				web.do(t, "COPY", p, "", "Destination", web.URL+q, "Overwrite", "T")
			case 5:
				web.do(t, "PROPPATCH", p+".txt", update(fmt.Sprintf("<Z:color>%d</Z:color>", i)))
			}
			continue
		}
		switch rng.IntN(4) {
		case 0:
			if err := os.WriteFile(local(p+".txt"), []byte(strings.Repeat("d", rng.IntN(64))), 0o644); err == nil {
				// the same size and an old mtime, as a restore leaves it
				if rng.IntN(2) == 0 {
					old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
					os.Chtimes(local(p+".txt"), old, old)
				}
			}
		case 1:
			os.RemoveAll(local(p))
		case 2:
			os.Mkdir(local(p), 0o755)
		case 3:
			if path.Dir(q) == "/" || !strings.HasPrefix(q, p+"/") {
				os.Rename(local(p), local(q))
			}
		}
	}
}

// TestSyncRandomized: random WebDAV changes, in rounds; after each round
// a client that syncs by tokens only must hold what a full walk sees
// (names, kinds, ETags, properties). The disk is changed at random while
// the server runs (the watcher's part, -sync-live-disk) and, between
// rounds, while it is stopped (the start-up scan's part); or the server
// is killed with kill -9 (the journal's).
func TestSyncRandomized(t *testing.T) {
	t.Parallel()
	seed := syncSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	s := startServer(t, dir)
	c := newTokenClient(t, rng)
	for round := range 8 {
		randomChanges(t, rng, s, dir, 30)
		settle(t, c, s, fmt.Sprintf("round %d", round))
		switch round % 3 {
		case 0:
			s.Stop()
			randomChanges(t, rng, nil, dir, 10) // while no server runs
			s = startServer(t, dir)
		case 1:
			s.Kill9()
			s = startServer(t, dir)
		}
	}
}

// TestSyncRandomizedCluster is TestSyncRandomized on instances sharing a
// PostgreSQL store: changes through one instance (and, with
// -sync-live-disk, on the disk), a client syncing through another.
func TestSyncRandomizedCluster(t *testing.T) {
	t.Parallel()
	seed := syncSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	c := newTokenClient(t, rng)
	for round := range 5 {
		randomChanges(t, rng, a, a.Dir, 30)
		settle(t, c, b, fmt.Sprintf("round %d", round))
	}
}

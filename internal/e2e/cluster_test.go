package e2e

import (
	"github.com/atomdav/atomdav/internal/testbin"

	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// clusterDB returns the URL of a schema of its own on the test database
// (ATOMDAV_TEST_POSTGRES, which make test sets), dropped when t ends. It
// skips the test without one (fails it with CI=true).
func clusterDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("ATOMDAV_TEST_POSTGRES")
	if base == "" {
		msg := "ATOMDAV_TEST_POSTGRES is not set: install the Debian package postgresql and run make test, which starts a throwaway cluster"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "e2e_" + hex.EncodeToString(b[:])
	exec := func(sql string) {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to ATOMDAV_TEST_POSTGRES: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("ATOMDAV_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// startCluster starts n atomdav processes serving one folder with one
// PostgreSQL store, as several instances behind a load balancer would.
func startCluster(t *testing.T, n int) []*server {
	t.Helper()
	db, dir := clusterDB(t), t.TempDir()
	nodes := make([]*server, n)
	for i := range nodes {
		nodes[i] = startServer(t, dir, "--store", db)
	}
	return nodes
}

// TestClusterProppatchVisible checks that a PROPPATCH through one instance
// is seen at once through the others: no cache decides (DESIGN §5).
func TestClusterProppatchVisible(t *testing.T) {
	t.Parallel()
	a, b, c := func(s []*server) (*server, *server, *server) { return s[0], s[1], s[2] }(startCluster(t, 3))
	a.put(t, "/f.txt", "content")
	for i := range 5 {
		v := fmt.Sprintf("value %d", i)
		a.setProp(t, "/f.txt", "color", v)
		b.wantProps(t, "/f.txt", map[string]string{"color": v}, "color")
		c.wantProps(t, "/f.txt", map[string]string{"color": v}, "color")
	}
	want(t, b.do(t, "MOVE", "/f.txt", "", "Destination", b.URL+"/g.txt"), http.StatusCreated, "MOVE through b")
	c.wantProps(t, "/g.txt", map[string]string{"color": "value 4"}, "color")
	a.wantProps(t, "/g.txt", map[string]string{"color": "value 4"}, "color")
}

// TestClusterLockBlocksOthers checks that a LOCK taken through one instance
// binds the others (RFC 4918 §6, §7): a PUT, PROPPATCH or LOCK through
// another without the token is 423, with the token it succeeds, and once
// unlocked through a third instance anyone may write.
func TestClusterLockBlocksOthers(t *testing.T) {
	t.Parallel()
	a, b, c := func(s []*server) (*server, *server, *server) { return s[0], s[1], s[2] }(startCluster(t, 3))
	a.put(t, "/f.txt", "v1")
	tok := a.mustLock(t, "/f.txt", "exclusive")
	want(t, b.do(t, "PUT", "/f.txt", "v2"), http.StatusLocked, "PUT through b without the token")
	want(t, b.do(t, "PROPPATCH", "/f.txt", update(`<Z:p>x</Z:p>`)), http.StatusLocked, "PROPPATCH through b without the token")
	wantConflict(t, c.lock(t, "/f.txt", "exclusive"), "LOCK through c")
	ok2xx(t, b.do(t, "PUT", "/f.txt", "v2", "If", ifToken(tok)), "PUT through b with the token")
	ok2xx(t, c.do(t, "UNLOCK", "/f.txt", "", "Lock-Token", "<"+tok+">"), "UNLOCK through c")
	ok2xx(t, b.do(t, "PUT", "/f.txt", "v3"), "PUT through b after UNLOCK")
	if r := a.do(t, "GET", "/f.txt", ""); r.Status != http.StatusOK || string(r.Body) != "v3" {
		t.Errorf("GET through a: %s, want 200 v3", r)
	}
}

// TestClusterConcurrentProppatch has 18 clients, spread over three
// instances, PROPPATCH P1..P5 of one file each to its own value: every
// answer is a 207 with all 200, and afterwards every instance sees the
// five agree (each request is atomic across instances, RFC 4918 §9.2).
func TestClusterConcurrentProppatch(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 3)
	nodes[0].put(t, "/shared.txt", "content")
	errs := make(chan error, 3*6*5)
	done := make(chan struct{})
	for i, s := range nodes {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, err := range hammer(s, 6, 5,
				func(int) string { return "/shared.txt" },
				func(c, r int) string { return fiveProps(fmt.Sprintf("node-%d-client-%d-round-%d", i, c, r)) }) {
				errs <- err
			}
		}()
	}
	for range nodes {
		<-done
	}
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	for i, s := range nodes {
		got := s.props(t, "/shared.txt", zName("P1"), zName("P2"), zName("P3"), zName("P4"), zName("P5"))
		first := got[zName("P1")]
		if first.Status != http.StatusOK {
			t.Fatalf("node %d: P1 status %d after the run", i, first.Status)
		}
		for j := 2; j <= 5; j++ {
			p := got[zName(fmt.Sprintf("P%d", j))]
			if p.Status != http.StatusOK || p.Node.text() != first.Node.text() {
				t.Errorf("RFC4918_9.2 atomicity across instances: node %d: P%d = %q but P1 = %q", i, j, textOf(p), first.Node.text())
			}
		}
	}
}

// roundRobin is a reverse proxy that sends each request to the next
// instance in turn, keeping the client's Host so that hrefs, Destination
// and tagged If headers name the proxy.
func roundRobin(t *testing.T, nodes []*server) *httptest.Server {
	t.Helper()
	targets := make([]*url.URL, len(nodes))
	for i, s := range nodes {
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		targets[i] = u
	}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targets[(next.Add(1)-1)%uint64(len(targets))])
			r.Out.Host = r.In.Host
		},
		ErrorLog: log.New(io.Discard, "", 0), // litmus hangs up on purpose
	}
	ts := httptest.NewServer(proxy)
	t.Cleanup(ts.Close)
	return ts
}

// TestClusterLitmus runs every litmus suite with its requests spread
// round-robin over three instances: together they must pass as one server
// does (TestLitmus).
func TestClusterLitmus(t *testing.T) {
	t.Parallel()
	litmus := testbin.NeedTool(t, "litmus", "litmus")
	ts := roundRobin(t, startCluster(t, 3))
	runLitmus(t, litmus, ts.URL+"/")
}

// TestClusterKillMidMove kill -9s an instance while it MOVEs a collection
// back and forth, then starts another over the same folder and database:
// its start-up recovery adopts the dead instance's unfinished intent at
// once (its instance lock died with it) and completes or undoes it, so the
// collection is at exactly one place with its properties, seen alike by
// every instance, and no intent is left (DESIGN §6).
func TestClusterKillMidMove(t *testing.T) {
	t.Parallel()
	db, dir := clusterDB(t), t.TempDir()
	a, b := startServer(t, dir, "--store", db), startServer(t, dir, "--store", db)
	a.mkcol(t, "/d")
	a.put(t, "/d/f.txt", "content")
	a.setProp(t, "/d/", "dir", "kept")
	a.setProp(t, "/d/f.txt", "file", "kept")
	for round := range 5 {
		moving := make(chan struct{})
		go func() {
			defer close(moving)
			moveBackAndForth(a, "/d/", "/e/", 1000) // fails once a is killed
		}()
		time.Sleep(time.Duration(30+round*37) * time.Millisecond)
		a.Kill9()
		<-moving
		c := startServer(t, dir, "--store", db)
		if strings.Contains(c.Output(), "recovered an interrupted tree change") {
			t.Logf("round %d: the new instance recovered the killed one's MOVE", round)
		}
		var at string
		for _, p := range []string{"/d", "/e"} {
			if r := b.do(t, "PROPFIND", p+"/", "", "Depth", "0"); r.Status == http.StatusMultiStatus {
				if at != "" {
					t.Fatalf("round %d: the collection is at both /d and /e", round)
				}
				at = p
			}
		}
		if at == "" {
			t.Fatalf("round %d: the collection is at neither /d nor /e", round)
		}
		for _, s := range []*server{b, c} {
			s.wantProps(t, at+"/", map[string]string{"dir": "kept"}, "dir")
			s.wantProps(t, at+"/f.txt", map[string]string{"file": "kept"}, "file")
		}
		if n := countIntents(t, db); n != 0 {
			t.Errorf("round %d: %d intents left after recovery, want 0", round, n)
		}
		if at == "/e" { // the next round moves from /d again
			want(t, c.do(t, "MOVE", "/e/", "", "Destination", c.URL+"/d/"), http.StatusCreated, "MOVE /e/ back")
		}
		a = c
	}
}

// countIntents counts the unfinished intents in the store at db.
func countIntents(t *testing.T, db string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM atomdav_intents`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestRestart checks that committed properties survive a graceful restart
// byte for byte (DESIGN §4: PROPFIND returns what PROPPATCH stored).
func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.mkcol(t, "/col")
	s.put(t, "/col/f.txt", "content")
	body := `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `"><D:set><D:prop xml:lang="fr">` +
		`<Z:a Z:attr="v">un 😀</Z:a><Z:b xmlns:Q="urn:q"><Q:x>Q:y</Q:x></Z:b><nullns xmlns="">n</nullns>` +
		`</D:prop></D:set></D:propertyupdate>`
	names := []xml.Name{zName("a"), zName("b"), {Local: "nullns"}, davName("getetag"), davName("getlastmodified")}
	paths := []string{"/col/", "/col/f.txt"}
	before := map[string][]byte{}
	for _, p := range paths {
		if err := allOK(s.proppatch(t, p, body)); err != nil {
			t.Fatal(err)
		}
	}
	// Read once every change is made: a folder's ETag moves with its members.
	for _, p := range paths {
		before[p] = s.do(t, "PROPFIND", p, propfindBody(names...), "Depth", "0").Body
	}
	s.Stop()
	if t.Failed() {
		t.FailNow()
	}

	s = startServer(t, dir)
	for _, p := range paths {
		after := s.do(t, "PROPFIND", p, propfindBody(names...), "Depth", "0")
		want(t, after, http.StatusMultiStatus, "PROPFIND after restart")
		if !bytes.Equal(after.Body, before[p]) {
			t.Errorf("RFC4918_9.1 %s after restart:\n got %s\nwant %s", p, after.Body, before[p])
		}
	}
}

// TestCrash kills the server with SIGKILL in the middle of a PROPPATCH
// stream and checks, after a restart, that every request whose 207 was
// received is there and the one in flight is all or nothing (DESIGN §4).
func TestCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	s.put(t, "/f.txt", "content")

	st := startStream(s, "/f.txt")
	for deadline := time.Now().Add(5 * time.Second); st.count() < 30 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	s.Kill9()
	acked, err := st.finish()
	if err != nil {
		t.Fatal(err)
	}
	if acked < 0 {
		t.Fatal("no PROPPATCH answered before the kill")
	}
	t.Logf("killed after %d acknowledged PROPPATCHes", acked+1)

	s = startServer(t, dir)
	inFlight := acked + 1
	names := []xml.Name{zName("last"), zName(fmt.Sprintf("p%d", inFlight+1))}
	for i := 0; i <= inFlight; i++ {
		names = append(names, zName(fmt.Sprintf("p%d", i)), zName(fmt.Sprintf("q%d", i)))
	}
	got := s.props(t, "/f.txt", names...)
	for i := 0; i < inFlight; i++ {
		for _, n := range []string{"p", "q"} {
			p := got[zName(fmt.Sprintf("%s%d", n, i))]
			if p.Status != http.StatusOK || p.Node.text() != fmt.Sprint(i) {
				t.Errorf("acknowledged %s%d lost after kill -9: status %d %q", n, i, p.Status, textOf(p))
			}
		}
	}
	pIn, qIn := got[zName(fmt.Sprintf("p%d", inFlight))], got[zName(fmt.Sprintf("q%d", inFlight))]
	if pIn.Status != qIn.Status {
		t.Errorf("request %d, in flight at the kill, is half there: p %d, q %d", inFlight, pIn.Status, qIn.Status)
	}
	if p := got[zName(fmt.Sprintf("p%d", inFlight+1))]; p.Status != http.StatusNotFound {
		t.Errorf("p%d was never sent but has status %d", inFlight+1, p.Status)
	}
	last := got[zName("last")]
	if a, b := fmt.Sprint(acked), fmt.Sprint(inFlight); last.Status != http.StatusOK || (last.Node.text() != a && last.Node.text() != b) {
		t.Errorf("Z:last is %d %q, want %s or %s", last.Status, textOf(last), a, b)
	}
}

// stream sends PROPPATCHes to one path, one after another, until the
// server stops answering: request i sets Z:p<i>, Z:q<i> and Z:last to i.
type stream struct {
	done chan struct{}

	mu    sync.Mutex
	acked int   // highest request answered with a 207, guarded by mu
	err   error // first answer that was not all 200, guarded by mu
}

func startStream(s *server, path string) *stream {
	st := &stream{done: make(chan struct{}), acked: -1}
	go func() {
		defer close(st.done)
		for i := 0; ; i++ {
			body := update(fmt.Sprintf(`<Z:p%d>%d</Z:p%d><Z:q%d>%d</Z:q%d><Z:last>%d</Z:last>`, i, i, i, i, i, i, i))
			props, err := s.tryProppatch(path, body)
			if err != nil {
				return // the server is gone
			}
			st.mu.Lock()
			if err := allOK(props); err != nil && st.err == nil {
				st.err = fmt.Errorf("request %d: %w", i, err)
			}
			st.acked = i
			st.mu.Unlock()
		}
	}()
	return st
}

// count returns how many requests have been answered.
func (st *stream) count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.acked + 1
}

// finish waits for the stream to end (the server must be gone) and returns
// the highest request answered.
func (st *stream) finish() (acked int, err error) {
	<-st.done
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.acked, st.err
}

// TestTempPrefixNamesSurvive checks that a file a client names like the
// server's temp files (".atomdav-tmp-…") is either refused or kept like any
// other: the start-up sweep of interrupted uploads must not delete a file
// whose PUT was acknowledged (DESIGN §7: nothing is lost).
func TestTempPrefixNamesSurvive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	const p = "/.atomdav-tmp-mine.txt"
	r := s.do(t, "PUT", p, "my data")
	if r.Status >= 400 {
		t.Logf("PUT %s refused with %d: the name is reserved", p, r.Status)
		return
	}
	want(t, r, http.StatusCreated, "PUT "+p)
	s.Stop()
	s = startServer(t, dir)
	if r := s.do(t, "GET", p, ""); r.Status != http.StatusOK || string(r.Body) != "my data" {
		t.Errorf("RFC4918_9.7 GET %s after a restart: %d %q; the acknowledged upload was lost", p, r.Status, r.Body)
	}
}

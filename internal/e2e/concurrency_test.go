package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// hammer runs clients goroutines of rounds PROPPATCHes each; path and body
// say what client c sends in round r. It returns every failure.
func hammer(s *server, clients, rounds int, path func(c int) string, body func(c, r int) string) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error // guarded by mu
	)
	for c := range clients {
		wg.Go(func() {
			for r := range rounds {
				props, err := s.tryProppatch(path(c), body(c, r))
				if err == nil {
					err = allOK(props)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("client %d round %d: %w", c, r, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// fiveProps sets P1..P5 to the same value.
func fiveProps(value string) string {
	var props []string
	for i := 1; i <= 5; i++ {
		props = append(props, fmt.Sprintf(`<Z:P%d>%s</Z:P%d>`, i, value, i))
	}
	return update(props...)
}

// TestConcurrentProppatchOneFile is the test: 20 clients
// PROPPATCH P1..P5 of one file, each to its own value, several rounds.
// Every answer must be a 207 with all 200 (no 423, no 5xx: plain
// concurrency is not a lock conflict) and afterwards the five properties
// must agree (each request is atomic, RFC 4918 §9.2).
func TestConcurrentProppatchOneFile(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.put(t, "/shared.txt", "content")
	errs := hammer(s, 20, 5,
		func(int) string { return "/shared.txt" },
		func(c, r int) string { return fiveProps(fmt.Sprintf("client-%d-round-%d", c, r)) })
	for i, err := range errs {
		if i == 10 {
			t.Errorf("… and %d more", len(errs)-10)
			break
		}
		t.Error(err)
	}
	got := s.props(t, "/shared.txt", zName("P1"), zName("P2"), zName("P3"), zName("P4"), zName("P5"))
	first := got[zName("P1")]
	if first.Status != http.StatusOK {
		t.Fatalf("P1 status %d after the run", first.Status)
	}
	for i := 2; i <= 5; i++ {
		p := got[zName(fmt.Sprintf("P%d", i))]
		if p.Status != http.StatusOK || p.Node.text() != first.Node.text() {
			t.Errorf("RFC4918_9.2 atomicity: P%d = %q (status %d) but P1 = %q", i, textOf(p), p.Status, first.Node.text())
		}
	}
}

// TestConcurrentProppatchDistinctFiles checks that writers of unrelated
// resources never see 423 Locked.
func TestConcurrentProppatchDistinctFiles(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	const clients = 20
	for c := range clients {
		s.put(t, fmt.Sprintf("/file-%d.txt", c), "content")
	}
	errs := hammer(s, clients, 10,
		func(c int) string { return fmt.Sprintf("/file-%d.txt", c) },
		func(c, r int) string { return fiveProps(fmt.Sprintf("round-%d", r)) })
	for i, err := range errs {
		if i == 10 {
			t.Errorf("… and %d more", len(errs)-10)
			break
		}
		t.Error(err)
	}
	for c := range clients {
		s.wantProps(t, fmt.Sprintf("/file-%d.txt", c), map[string]string{"P1": "round-9", "P5": "round-9"}, "P1", "P5")
	}
}

// TestConcurrentProppatchAndMove runs PROPPATCH of /d/f.txt and /e/f.txt
// while another client MOVEs /d to /e and back: no request may see 423 or
// 5xx, no acknowledged property may be lost, and none may be left behind
// for a new file at either path (DESIGN §6: one per-path lock
// discipline; a new file never inherits a deleted file's properties).
func TestConcurrentProppatchAndMove(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	s.mkcol(t, "/d")
	s.put(t, "/d/f.txt", "content")

	const writers = 4
	var (
		wg    sync.WaitGroup
		errs  [writers + 1]error
		acked [writers]string
	)
	moving := make(chan struct{})
	wg.Go(func() {
		defer close(moving)
		errs[writers] = moveBackAndForth(s, "/d/", "/e/", 30)
	})
	for w := range writers {
		wg.Go(func() { acked[w], errs[w] = writeWhile(s, w, moving) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	names := make([]string, writers)
	wantVals := map[string]string{}
	for w := range writers {
		names[w] = fmt.Sprintf("w%d", w)
		if acked[w] != "" {
			wantVals[names[w]] = acked[w]
		}
	}
	t.Logf("writers' last acknowledged values: %v", wantVals)
	s.wantProps(t, "/d/f.txt", wantVals, names...)
	want(t, s.do(t, "DELETE", "/d/", ""), http.StatusNoContent, "DELETE /d/")
	for _, c := range []string{"/d", "/e"} {
		s.mkcol(t, c)
		s.put(t, c+"/f.txt", "new")
		s.wantProps(t, c+"/", nil, names...)
		s.wantProps(t, c+"/f.txt", nil, names...)
	}
}

// moveBackAndForth MOVEs a to b and back rounds times; every MOVE must
// answer 201.
func moveBackAndForth(s *server, a, b string, rounds int) error {
	for i := range rounds {
		for _, mv := range [][2]string{{a, b}, {b, a}} {
			r, err := s.send("MOVE", mv[0], "", "Destination", mv[1])
			if err == nil && r.Status != http.StatusCreated {
				err = fmt.Errorf("status %d: %s", r.Status, r.Body)
			}
			if err != nil {
				return fmt.Errorf("MOVE %s %s (round %d): %w", mv[0], mv[1], i, err)
			}
		}
	}
	return nil
}

// writeWhile has writer w PROPPATCH Z:w<w> of /d/f.txt and /e/f.txt (the
// one that is missing answers 404) until stop closes, and returns the last
// value acknowledged with a 207.
func writeWhile(s *server, w int, stop <-chan struct{}) (acked string, err error) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return acked, nil
		default:
		}
		v := fmt.Sprintf("w%d-%d", w, i)
		for _, p := range []string{"/d/f.txt", "/e/f.txt"} {
			r, err := s.send("PROPPATCH", p, update(fmt.Sprintf(`<Z:w%d>%s</Z:w%d>`, w, v, w)))
			if err != nil {
				return acked, err
			}
			if r.Status == http.StatusNotFound {
				continue
			}
			ms, err := multistatusOf(r)
			for _, resp := range ms {
				err = allOK(resp.Props)
			}
			if err != nil {
				return acked, fmt.Errorf("PROPPATCH %s: %w", p, err)
			}
			acked = v
		}
	}
}

package e2e

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCopyIntoItselfThroughSymlink (issue 12 item 10): with alink -> a in
// the share, COPY or MOVE of /a to /alink/x would put /a inside itself
// (RFC 4918 §9.8.5). Both are refused with 403, as for /a to /a/x, and
// nothing nests. (To /alink itself is allowed: Overwrite replaces the
// link, not what it leads to.)
func TestCopyIntoItselfThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a", "sub", "f"), []byte("f"), 0o644)
	if err := os.Symlink("a", filepath.Join(dir, "alink")); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir)
	for _, m := range []string{"COPY", "MOVE"} {
		for _, dst := range []string{"/alink/x", "/alink/sub/x"} {
			r := guarded(t, s, m, "/a", "", "Destination", s.URL+dst)
			want(t, r, http.StatusForbidden, m+" /a to "+dst)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(entries) != 1 || entries[0].Name() != "sub" {
		t.Fatalf("/a holds %v after the refused requests, want only sub", entries)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "alink")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("alink is no longer the symlink: %v", err)
	}
	// A symlink inside the tree leading back up is not followed for ever.
	if err := os.Symlink("..", filepath.Join(dir, "a", "sub", "up")); err != nil {
		t.Fatal(err)
	}
	r := guarded(t, s, "COPY", "/a", "", "Destination", s.URL+"/b")
	want(t, r, http.StatusMultiStatus, "COPY of a tree with a symlink loop")
	if !bytes.Contains(r.Body, []byte("<D:href>/a/sub/up</D:href><D:status>HTTP/1.1 508 Loop Detected</D:status>")) {
		t.Fatalf("COPY's 207 does not name the loop:\n%s", r.Body)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "b", "sub", "f")); err != nil || string(b) != "f" {
		t.Fatalf("b/sub/f = %q, %v", b, err)
	}
}

// raceUsers are the writers of the race test, each with the whole share.
var raceUsers = []string{"ann", "ben", "cat"}

// raceConfig writes a config file giving every raceUsers member the whole
// share, with the user's name as password.
func raceConfig(t *testing.T) string {
	t.Helper()
	users := make([]testUser, len(raceUsers))
	for i, u := range raceUsers {
		users[i] = testUser{name: u, password: u, root: "/"}
	}
	return usersConfig(t, users)
}

// raceContent is a body that proves itself whole: "id:n:" then n times
// "id;". A torn, truncated or mixed file fails validContent.
func raceContent(id string, n int) string {
	return id + ":" + strconv.Itoa(n) + ":" + strings.Repeat(id+";", n)
}

func validContent(b string) bool {
	if b == "" {
		return true // a LOCK of an unmapped URL makes an empty file
	}
	id, rest, ok := strings.Cut(b, ":")
	if !ok {
		return false
	}
	count, rest, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(count)
	return ok && err == nil && rest == strings.Repeat(id+";", n)
}

// slowBody sends its first half, pauses, then the rest: an upload whose
// folder other requests change while it arrives.
type slowBody struct {
	rest   string
	pause  time.Duration
	halved bool
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(b.rest) == 0 {
		return 0, io.EOF
	}
	chunk := b.rest
	if !b.halved {
		b.halved = true
		chunk = b.rest[:(len(b.rest)+1)/2]
	} else {
		time.Sleep(b.pause)
	}
	n := copy(p, chunk)
	b.rest = b.rest[n:]
	return n, nil
}

// racer is one client of the race test: a user, its random choices, and
// where it reports what went wrong.
type racer struct {
	s     *server
	user  string
	rnd   *rand.Rand
	fails func(format string, args ...any)
}

var racePaths = []string{
	"/s/a", "/s/b", "/s/c", "/s/a/x", "/s/a/y", "/s/b/x", "/s/b/y",
	"/s/a/sub", "/s/a/sub/z", "/s/b/sub", "/s/b/sub/z", "/s/c/x",
}

func (c *racer) path() string { return racePaths[c.rnd.IntN(len(racePaths))] }

// send performs one request and checks what every answer must be: no
// transport error, no 5xx, and a 207 that is a complete multistatus
// without a 5xx inside.
func (c *racer) send(method, path string, body io.Reader, size int64, hdr ...string) reply {
	req, err := c.s.request(method, path, body, append(hdr, basicCreds(c.user, c.user)...)...)
	if err != nil {
		c.fails("%s %s: %v", method, path, err)
		return reply{}
	}
	if size >= 0 {
		req.ContentLength = size
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	r, err := c.s.sendRequest(req.WithContext(ctx))
	switch {
	case err != nil:
		c.fails("%s %s as %s: %v", method, path, c.user, err)
	case r.Status >= 500:
		c.fails("%s %s as %s: %s", method, path, c.user, r)
	case r.Status == http.StatusMultiStatus:
		if err := completeMultistatus(r.Body); err != nil {
			c.fails("%s %s as %s: %v\n%s", method, path, c.user, err, r.Body)
		}
	}
	return r
}

var innerStatus = regexp.MustCompile(`HTTP/1\.1 (\d{3})`)

// completeMultistatus checks that body is a whole DAV:multistatus with no
// 5xx member.
func completeMultistatus(body []byte) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("cut or malformed 207: %w", err)
		}
	}
	if !bytes.HasSuffix(bytes.TrimSpace(body), []byte("</D:multistatus>")) {
		return errors.New("207 without its end")
	}
	for _, m := range innerStatus.FindAllSubmatch(body, -1) {
		if m[1][0] == '5' {
			return fmt.Errorf("a member answers %s", m[1])
		}
	}
	return nil
}

// step does one random operation on the shared paths.
func (c *racer) step(i int) {
	p, q := c.path(), c.path()
	dest := []string{"Destination", c.s.URL + q, "Overwrite", []string{"T", "F"}[c.rnd.IntN(2)]}
	switch op := c.rnd.IntN(11); op {
	case 0, 1:
		content := raceContent(fmt.Sprintf("%s%d", c.user, i), 1+c.rnd.IntN(3000))
		var body io.Reader = strings.NewReader(content)
		if op == 1 {
			body = &slowBody{rest: content, pause: time.Duration(5+c.rnd.IntN(30)) * time.Millisecond}
		}
		c.send("PUT", p, body, int64(len(content)))
	case 2:
		c.send("MKCOL", p, nil, -1)
	case 3:
		c.send("MOVE", p, nil, -1, dest...)
	case 4:
		c.send("COPY", p, nil, -1, dest...)
	case 5:
		c.send("DELETE", p, nil, -1)
	case 6:
		v := raceContent(fmt.Sprintf("%s%dp", c.user, i), 1+c.rnd.IntN(20))
		c.send("PROPPATCH", p, strings.NewReader(`<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-atomdav:race"><D:set><D:prop><Z:tag>`+v+`</Z:tag></D:prop></D:set></D:propertyupdate>`), -1)
	case 7:
		depth := []string{"0", "infinity"}[c.rnd.IntN(2)]
		r := c.send("LOCK", p, strings.NewReader(lockinfo("exclusive", ownerXML)), -1, "Content-Type", "application/xml", "Depth", depth, "Timeout", "Second-10")
		if tok := r.Header.Get("Lock-Token"); r.Status < 300 && tok != "" {
			c.send("UNLOCK", p, nil, -1, "Lock-Token", tok)
		}
	case 8:
		c.send("PROPFIND", p, strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`), -1, "Depth", "1")
	case 10: // into itself through the symlink l -> a: refused, never nested
		into := []string{"Destination", c.s.URL + []string{"/s/l/x", "/s/l/sub/x"}[c.rnd.IntN(2)]}
		c.send([]string{"COPY", "MOVE"}[c.rnd.IntN(2)], "/s/a", nil, -1, into...)
	case 9:
		r := c.send("GET", p, nil, -1)
		if isFile := r.Header.Get("ETag") != ""; isFile && r.Status == http.StatusOK && !validContent(string(r.Body)) {
			c.fails("GET %s: torn or mixed content %.80q", p, r.Body)
		}
	}
}

// witness is the part of a racer's work nobody else touches: files under
// /own/<user>, written, moved and copied beside the shared chaos, whose
// content and property must be exactly what it last wrote (nothing lost
// or misplaced).
func (c *racer) witness(i int, want map[string]string) {
	base := "/own/" + c.user
	name := fmt.Sprintf("%s/f%d", base, i%4)
	content := raceContent(fmt.Sprintf("%sw%d", c.user, i), 1+c.rnd.IntN(500))
	if r := c.send("PUT", base+"/tmp", &slowBody{rest: content, pause: 10 * time.Millisecond}, int64(len(content))); r.Status >= 300 {
		c.fails("witness PUT %s/tmp: %s", base, r)
		return
	}
	if r := c.send("MOVE", base+"/tmp", nil, -1, "Destination", c.s.URL+name); r.Status >= 300 {
		c.fails("witness MOVE to %s: %s", name, r)
		return
	}
	want[name] = content
	if i%3 == 0 {
		cp := name + ".copy"
		if r := c.send("COPY", name, nil, -1, "Destination", c.s.URL+cp); r.Status >= 300 {
			c.fails("witness COPY to %s: %s", cp, r)
			return
		}
		want[cp] = content
	}
}

// TestConcurrentRaces (issue 12, proof): users run MOVE, COPY, DELETE, PUT
// (some trickled), MKCOL, PROPPATCH, LOCK, PROPFIND and GET at random on
// shared paths, side by side. No answer is a 5xx or a cut 207, no file is
// torn or mixed, each user's own files are exactly what it wrote, the
// server logs no error and, once stopped, `atomdav check` finds the store
// and the tree consistent, with no temp file left.
func TestConcurrentRaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"s/a", "s/b", "s/c", "own/ann", "own/ben", "own/cat"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a", filepath.Join(dir, "s", "l")); err != nil {
		t.Fatal(err)
	}
	s := startAuthServer(t, dir, "--config", raceConfig(t))
	var (
		mu    sync.Mutex
		fails []string // guarded by mu
		wg    sync.WaitGroup
	)
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fails = append(fails, fmt.Sprintf(format, args...))
	}
	wants := make([]map[string]string, len(raceUsers))
	const clientsPerUser, steps = 2, 60
	for u, user := range raceUsers {
		wants[u] = map[string]string{}
		for k := range clientsPerUser {
			c := &racer{s: s, user: user, rnd: rand.New(rand.NewPCG(uint64(u), uint64(k))), fails: report}
			wg.Go(func() {
				for i := range steps {
					if k == 0 && i%5 == 0 {
						c.witness(i, wants[u])
					}
					c.step(i)
				}
			})
		}
	}
	wg.Wait()
	for i, f := range fails {
		if i == 20 {
			t.Errorf("… and %d more", len(fails)-20)
			break
		}
		t.Error(f)
	}
	for u, user := range raceUsers {
		c := &racer{s: s, user: user, fails: func(format string, args ...any) { t.Errorf(format, args...) }}
		for p, content := range wants[u] {
			if r := c.send("GET", p, nil, -1); r.Status != http.StatusOK || string(r.Body) != content {
				t.Errorf("%s's own %s: status %d, %d bytes, want its last content (%d bytes)", user, p, r.Status, len(r.Body), len(content))
			}
		}
	}
	out := s.Output()
	s.Stop()
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("the server logged errors:\n%s", out)
	}
	raceCheckTree(t, dir)
}

// raceMaxDepth bounds the folders below /s: copies of copies nest a few
// levels, a tree copied into itself through a symlink hundreds.
const raceMaxDepth = 40

// raceCheckTree checks the stopped server's folder: every file whole, no
// tree nested into itself, no temp file, and `atomdav check` clean.
func raceCheckTree(t *testing.T, dir string) {
	t.Helper()
	top := filepath.Join(dir, "s")
	filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
		if depth := strings.Count(p[len(top):], string(filepath.Separator)); depth > raceMaxDepth {
			t.Errorf("%.200s: nested %d levels deep", p, depth)
			return filepath.SkipAll
		}
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if b, err := os.ReadFile(p); err != nil || !validContent(string(b)) {
			t.Errorf("%s: torn or mixed content %.80q (%v)", p, b, err)
		}
		return nil
	})
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, binary, "check", dir).CombinedOutput(); err != nil {
		t.Errorf("atomdav check %s: %v\n%s", dir, err, out)
	}
}

package interop

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
)

// cadaver is an interactive cadaver session: commands go in one at a time
// and each answer is read up to the next prompt, so the test can act as a
// second client between two commands.
type cadaver struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *testbin.Buffer
	cancel context.CancelFunc
	done   chan struct{}
}

// prompt is cadaver's "dav:/path/> " at the end of its output.
var prompt = regexp.MustCompile(`dav:[^\n]*> $`)

// startCadaver starts cadaver on s in dir (its local folder for put and
// get) and waits for its first prompt; cleanup ends the session.
func startCadaver(t *testing.T, s *server, dir string) *cadaver {
	t.Helper()
	bin := testbin.NeedTool(t, "cadaver", "cadaver")
	tl := newTool(t, bin) // for its private HOME
	ctx, cancel := context.WithCancel(context.Background())
	c := &cadaver{cmd: exec.CommandContext(ctx, bin, s.URL+"/"), out: &testbin.Buffer{}, cancel: cancel, done: make(chan struct{})}
	c.cmd.Dir = dir
	c.cmd.Env = append(os.Environ(), tl.env...)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.stdin = stdin
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			c.cancel()
			<-c.done
		}
		c.cancel()
	})
	if _, err := c.waitPrompt(0); err != nil {
		t.Fatalf("cadaver did not connect: %v\n%s", err, c.out)
	}
	return c
}

// waitPrompt waits until the output past offset from ends in a prompt and
// returns that part.
func (c *cadaver) waitPrompt(from int) (string, error) {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		all := c.out.String()
		if len(all) > from && prompt.MatchString(all[from:]) {
			return all[from:], nil
		}
		select {
		case <-c.done:
			return all[min(from, len(all)):], fmt.Errorf("cadaver exited")
		case <-time.After(10 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("no prompt within 20s")
}

// send types one command and returns cadaver's answer to it.
func (c *cadaver) send(t *testing.T, line string) string {
	t.Helper()
	from := len(c.out.String())
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		t.Fatalf("cadaver %q: %v", line, err)
	}
	out, err := c.waitPrompt(from)
	if err != nil {
		t.Fatalf("cadaver %q: %v\n%s", line, err, c.out)
	}
	return prompt.ReplaceAllString(out, "")
}

// TestCadaver drives a cadaver session through every method it has — and
// between two of its commands acts as a second client, to see that
// cadaver's lock really protects the file and that cadaver submits its
// own token.
func TestCadaver(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	work := t.TempDir()
	for name, content := range map[string]string{"local.txt": "first version\n", "local2.txt": "second version, locked\n"} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := startCadaver(t, s, work)

	steps := []struct {
		name  string
		cmd   string
		want  string // regexp the answer must match
		check func(t *testing.T)
	}{
		{"RFC 4918 §9.3 MKCOL", "mkcol dir", "Creating `dir': succeeded", nil},
		{"RFC 9110 §9.3.4 PUT", "put local.txt dir/file.txt", "Uploading local.txt to `/dir/file.txt':.*succeeded", func(t *testing.T) {
			wantBody(t, s, "/dir/file.txt", "first version\n")
		}},
		{"RFC 4918 §9.2 PROPPATCH set", "propset dir/file.txt color blue", "Setting property on `dir/file.txt': succeeded", nil},
		{"RFC 4918 §9.1 PROPFIND", "propget dir/file.txt color", "Value of color is: blue", nil},
		{"RFC 4918 §9.10 LOCK", "lock dir/file.txt", "Locking `dir/file.txt': succeeded", func(t *testing.T) {
			// Another client without the token is kept out (RFC 4918 §7.1).
			if r := s.do(t, "PUT", "/dir/file.txt", "intruder\n"); r.Status != http.StatusLocked {
				t.Errorf("PUT without the token while cadaver holds the lock: %s, want 423", r)
			}
			if r := s.do(t, "DELETE", "/dir/file.txt", ""); r.Status != http.StatusLocked {
				t.Errorf("DELETE without the token while cadaver holds the lock: %s, want 423", r)
			}
		}},
		{"RFC 4918 §10.4 PUT with its own token", "put local2.txt dir/file.txt", "succeeded", func(t *testing.T) {
			wantBody(t, s, "/dir/file.txt", "second version, locked\n")
		}},
		{"RFC 4918 §10.4 PROPPATCH with its own token", "propset dir/file.txt size large", "succeeded", nil},
		{"RFC 4918 §15.8 lockdiscovery", "showlocks", `Lock token <urn:uuid:[0-9a-f-]+>:\s+Depth 0 on .*/dir/file\.txt`, nil},
		{"RFC 4918 §9.11 UNLOCK", "unlock dir/file.txt", "Unlocking `dir/file.txt': succeeded", func(t *testing.T) {
			r := s.do(t, "PROPFIND", "/dir/file.txt", `<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>`, "Depth", "0")
			if r.Status != http.StatusMultiStatus || strings.Contains(string(r.Body), "activelock") {
				t.Errorf("lockdiscovery after cadaver's unlock: %s", r)
			}
		}},
		{"RFC 4918 §9.8 COPY", "copy dir/file.txt dir/copy.txt", "succeeded", nil},
		{"RFC 4918 §9.9 MOVE", "move dir/copy.txt dir/moved.txt", "succeeded", nil},
		{"RFC 4918 §9.8.2 properties follow COPY and MOVE", "propget dir/moved.txt color", "Value of color is: blue", nil},
		{"RFC 4918 §9.1 propname", "propnames dir/moved.txt", `(?s)custom-properties/ color.*custom-properties/ size`, nil},
		{"RFC 9110 §9.3.1 GET", "get dir/moved.txt fetched.txt", "succeeded", func(t *testing.T) {
			if b, err := os.ReadFile(filepath.Join(work, "fetched.txt")); err != nil || string(b) != "second version, locked\n" {
				t.Errorf("cadaver get: %q, %v", b, err)
			}
		}},
		{"RFC 4918 §9.2 PROPPATCH remove", "propdel dir/moved.txt size", "succeeded", nil},
		{"RFC 4918 §9.1 removed property answers 404", "propget dir/moved.txt size", "Could not fetch property: 404", nil},
		{"RFC 4918 §9.6 DELETE", "rm dir/file.txt", "Deleting `dir/file.txt': succeeded", func(t *testing.T) {
			if r := s.do(t, "GET", "/dir/file.txt", ""); r.Status != http.StatusNotFound {
				t.Errorf("GET after cadaver rm: %d, want 404", r.Status)
			}
		}},
		{"RFC 4918 §9.1 Depth 1 listing", "ls dir", `moved\.txt\s+23 `, nil},
	}
	for _, step := range steps {
		ok := t.Run(step.name, func(t *testing.T) {
			out := c.send(t, step.cmd)
			if !regexp.MustCompile(step.want).MatchString(out) {
				t.Fatalf("cadaver %s: answer does not match %q:\n%s", step.cmd, step.want, out)
			}
			if strings.Contains(strings.ToLower(out), "failed") {
				t.Fatalf("cadaver %s:\n%s", step.cmd, out)
			}
			if step.check != nil {
				step.check(t)
			}
		})
		if !ok {
			break // later commands depend on this one
		}
	}
}

// wantBody wants GET path to answer 200 with body.
func wantBody(t *testing.T, s *server, path, body string) {
	t.Helper()
	if r := s.do(t, "GET", path, ""); r.Status != http.StatusOK || string(r.Body) != body {
		t.Errorf("GET %s: %d %q, want 200 %q", path, r.Status, r.Body, body)
	}
}

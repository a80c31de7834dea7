package interop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
)

// binary is the atomdav executable TestMain builds.
var binary string

func TestMain(m *testing.M) { os.Exit(testbin.Main(m, &binary)) }

// server is one running atomdav process and a client for it.
type server struct {
	Dir  string // the served folder
	Addr string // host:port
	URL  string // http://host:port, no trailing slash

	proc   *testbin.Process
	client *http.Client
}

// startServer starts `atomdav serve DIR --addr 127.0.0.1:PORT --anonymous`
// on a fresh folder, waits until OPTIONS / answers and registers a cleanup
// that stops it with SIGTERM and wants exit status 0.
func startServer(t *testing.T, extraArgs ...string) *server {
	t.Helper()
	dir := t.TempDir()
	p, err := testbin.Start(binary, dir, testbin.StartOptions{Args: append([]string{"--anonymous"}, extraArgs...)})
	if err != nil {
		t.Fatalf("starting atomdav: %v", err)
	}
	s := &server{
		Dir:  dir,
		Addr: p.Addr(),
		URL:  p.URL(),
		proc: p,
		client: &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop sends SIGTERM and wants the process to exit 0 within 20s.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.client.CloseIdleConnections()
	if err := s.proc.Terminate(20 * time.Second); err != nil {
		t.Errorf("after SIGTERM: %v\nserver output:\n%s", err, s.proc.Output())
	}
}

// reply is a response read in full; its body is closed.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) String() string {
	return fmt.Sprintf("%d %s\n%s", r.Status, http.StatusText(r.Status), r.Body)
}

// do sends one request (path already escaped, headers as name, value
// pairs) and reads the whole answer; a transport error fails the test.
func (s *server) do(t *testing.T, method, path, body string, hdr ...string) reply {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// tool runs client programs with a private HOME and XDG folders, so no
// user configuration leaks in and nothing is written outside the test.
type tool struct {
	t    *testing.T
	path string
	dir  string   // working folder
	env  []string // added to the environment
}

// newTool prepares to run the program at path.
func newTool(t *testing.T, path string) *tool {
	home := t.TempDir()
	return &tool{t: t, path: path, dir: home, env: []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_CACHE_HOME=" + home,
	}}
}

// run runs the tool with stdin and returns what it wrote to stdout and to
// stderr. It never waits more than two minutes.
func (c *tool) run(stdin string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		c.t.Fatalf("%s %s: still running after 2 minutes\n%s%s", c.path, strings.Join(args, " "), out.String(), errOut.String())
	}
	return out.String(), errOut.String(), err
}

// must runs a command that has to succeed and returns its stdout.
func (c *tool) must(stdin string, args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(stdin, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", c.path, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
)

// binary is the atomdav executable TestMain builds.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run builds the binary into a temp folder, runs the tests and removes it.
func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "atomdav-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if binary, err = testbin.Build(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	return m.Run()
}

// server is one running atomdav process.
type server struct {
	Dir  string // the served folder
	Addr string // host:port
	URL  string // http://host:port, no trailing slash

	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done is closed
	client *http.Client
}

// startServer starts `atomdav serve DIR --addr 127.0.0.1:PORT --anonymous`
// on a fresh folder, waits until OPTIONS / answers and registers a cleanup
// that stops it with SIGTERM and wants exit status 0.
func startServer(t *testing.T, extraArgs ...string) *server {
	t.Helper()
	dir := t.TempDir()
	var last error
	for range 5 { // a port found free may be taken before atomdav binds it
		s, err := tryStart(dir, extraArgs)
		if err == nil {
			t.Cleanup(func() { s.stop(t) })
			return s
		}
		last = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("starting atomdav: %v", last)
	return nil
}

// tryStart starts one process on a fresh free port and waits for it.
func tryStart(dir string, extraArgs []string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", dir, "--addr", addr, "--anonymous"}, extraArgs...)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	s := &server{
		Dir:    dir,
		Addr:   addr,
		URL:    "http://" + addr,
		cmd:    exec.Command(binary, args...),
		output: &syncBuffer{},
		done:   make(chan struct{}),
		client: &http.Client{
			Transport:     tr,
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.cmd.Process.Kill()
		<-s.done
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, s.output)
	}
	return s, nil
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady polls OPTIONS / until it answers, the process exits or the
// timeout passes.
func (s *server) waitReady(timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); {
		select {
		case <-s.done:
			return fmt.Errorf("atomdav exited before answering: %v", s.err)
		default:
		}
		req, _ := http.NewRequest("OPTIONS", s.URL+"/", nil)
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("atomdav did not answer OPTIONS / in time")
}

// stop sends SIGTERM and wants the process to exit 0 within 20s.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.client.CloseIdleConnections()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		t.Errorf("atomdav did not exit within 20s of SIGTERM\nserver output:\n%s", s.output)
		return
	}
	if s.err != nil {
		t.Errorf("atomdav exited with %v after SIGTERM, want exit status 0\nserver output:\n%s", s.err, s.output)
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

// needTool returns the path of a client program, or skips the test naming
// the Debian package that provides it; with CI=true a missing client fails
// the test instead.
func needTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not on PATH and CI=true: install the Debian package %q", name, debianPackage)
	}
	t.Skipf("%s is not on PATH: install the Debian package %q to run this test", name, debianPackage)
	return ""
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

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a process
// and reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

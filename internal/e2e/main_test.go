package e2e

import (
	"bufio"
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
	tmp, err := os.MkdirTemp("", "atomdav-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if binary, err = testbin.Build(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// server is one running atomdav process.
type server struct {
	t      testing.TB
	Dir    string // the served directory
	Addr   string // host:port
	URL    string // http://host:port, no trailing slash
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done is closed
	client *http.Client

	mu      sync.Mutex
	stopped bool // guards against stopping twice (Stop, Kill9, cleanup)
}

// startServer starts atomdav serving dir on a free loopback port, waits
// until OPTIONS / answers and registers a cleanup that stops it with
// SIGTERM and checks it exits 0 (graceful shutdown).
func startServer(t testing.TB, dir string, extraArgs ...string) *server {
	t.Helper()
	var last error
	for range 5 { // a port picked free may be taken before atomdav binds it
		s, err := tryStart(t, dir, extraArgs)
		if err == nil {
			t.Cleanup(func() { s.Stop() })
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

func tryStart(t testing.TB, dir string, extraArgs []string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", dir, "--addr", addr, "--anonymous"}, extraArgs...)
	s := &server{
		t:      t,
		Dir:    dir,
		Addr:   addr,
		URL:    "http://" + addr,
		cmd:    exec.Command(binary, args...),
		stderr: &syncBuffer{},
		done:   make(chan struct{}),
		client: newClient(),
	}
	s.cmd.Stderr = s.stderr
	s.cmd.Stdout = s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.kill()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, s.Output())
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

// waitReady polls OPTIONS / until it gets an answer (any status: under
// --prefix / is outside the share), the process exits or the timeout
// passes.
func (s *server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("atomdav exited before answering: %v", s.err)
		default:
		}
		req, _ := http.NewRequest("OPTIONS", s.URL+"/", nil)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("atomdav did not answer OPTIONS / in time")
}

// Stop sends SIGTERM, waits for the process and checks that it exited 0.
// It does nothing after Stop or Kill9.
func (s *server) Stop() {
	s.t.Helper()
	if !s.claimStop() {
		return
	}
	s.client.CloseIdleConnections()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Errorf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("atomdav did not exit within 20s of SIGTERM\nserver output:\n%s", s.Output())
		return
	}
	if s.err != nil {
		s.t.Errorf("atomdav exited with %v after SIGTERM, want exit status 0 (graceful shutdown)\nserver output:\n%s", s.err, s.Output())
	}
}

// Kill9 kills the process with SIGKILL, as a crash would, and waits for it.
func (s *server) Kill9() {
	if !s.claimStop() {
		return
	}
	s.kill()
	s.client.CloseIdleConnections()
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func (s *server) claimStop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.stopped = true
	return true
}

// Output returns the last lines the server wrote to stdout and stderr.
func (s *server) Output() string {
	lines := strings.SplitAfter(s.stderr.String(), "\n")
	if len(lines) > 40 {
		lines = append([]string{"…\n"}, lines[len(lines)-40:]...)
	}
	return strings.Join(lines, "")
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

// newClient returns an HTTP client that keeps enough idle connections for
// the concurrency tests and never follows redirects.
func newClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
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

// request builds a request to path (already URL-escaped) with the given
// headers as name, value pairs.
func (s *server) request(method, path string, body io.Reader, hdr ...string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, body)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if body != nil && req.Header.Get("Content-Type") == "" && (method == "PROPPATCH" || method == "PROPFIND") {
		req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	return req, nil
}

// send performs one request and reads the whole response; it is safe to
// call from any goroutine and reports errors instead of failing the test.
func (s *server) send(method, path, body string, hdr ...string) (reply, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := s.request(method, path, r, hdr...)
	if err != nil {
		return reply{}, err
	}
	return s.sendRequest(req)
}

func (s *server) sendRequest(req *http.Request) (reply, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: reading the body: %w", req.Method, req.URL.Path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// do is send for the test goroutine: a transport error fails the test.
func (s *server) do(t testing.TB, method, path, body string, hdr ...string) reply {
	t.Helper()
	r, err := s.send(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// want fails the test unless r has status.
func want(t testing.TB, r reply, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d\nbody: %s", what, r.Status, status, r.Body)
	}
}

// put creates or replaces a file and fails the test unless it answers 201
// or 204.
func (s *server) put(t testing.TB, path, content string) {
	t.Helper()
	r := s.do(t, "PUT", path, content)
	if r.Status != http.StatusCreated && r.Status != http.StatusNoContent {
		t.Fatalf("PUT %s: %s", path, r)
	}
}

// mkcol creates a collection and fails the test unless it answers 201.
func (s *server) mkcol(t testing.TB, path string) {
	t.Helper()
	want(t, s.do(t, "MKCOL", path, ""), http.StatusCreated, "MKCOL "+path)
}

// rawRequest writes req verbatim on a new TCP connection and returns the
// status and body of the answer. net/http would clean paths such as
// /../etc/passwd before sending them.
func (s *server) rawRequest(t testing.TB, req string) reply {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", firstLine(req), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body of the answer to %q: %v", firstLine(req), err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
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
	t      testing.TB
	Dir    string // the served directory
	Addr   string // host:port
	URL    string // http://host:port, no trailing slash
	proc   *testbin.Process
	client *http.Client
}

// startServer starts atomdav serving dir on a free loopback port, waits
// until OPTIONS / answers and registers a cleanup that stops it with
// SIGTERM and checks it exits 0 (graceful shutdown).
func startServer(t testing.TB, dir string, extraArgs ...string) *server {
	t.Helper()
	return start(t, dir, nil, append([]string{"--anonymous"}, extraArgs...))
}

// start starts atomdav serving dir with exactly args after
// "serve DIR --addr ADDR", talking to it over https with clientTLS when
// that is set, else over http. It is ready once OPTIONS / answers (any
// status: under --prefix / is outside the share); cleanup stops it and
// checks it exits 0.
func start(t testing.TB, dir string, clientTLS *tls.Config, args []string) *server {
	t.Helper()
	p, err := testbin.Start(binary, dir, testbin.StartOptions{Args: args, TLS: clientTLS})
	if err != nil {
		t.Fatalf("starting atomdav: %v", err)
	}
	s := &server{t: t, Dir: dir, Addr: p.Addr(), URL: p.URL(), proc: p, client: newClient()}
	s.client.Transport.(*http.Transport).TLSClientConfig = clientTLS
	t.Cleanup(func() { s.Stop() })
	return s
}

// Stop sends SIGTERM, waits for the process and checks that it exited 0.
// It does nothing after Stop or Kill9.
func (s *server) Stop() {
	s.t.Helper()
	s.client.CloseIdleConnections()
	if err := s.proc.Terminate(20 * time.Second); err != nil {
		s.t.Errorf("after SIGTERM (graceful shutdown): %v\nserver output:\n%s", err, s.Output())
	}
}

// Kill9 kills the process with SIGKILL, as a crash would, and waits for it.
func (s *server) Kill9() {
	s.proc.Kill9()
	s.client.CloseIdleConnections()
}

// Output returns the last lines the server wrote to stdout and stderr.
func (s *server) Output() string { return s.proc.Output() }

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

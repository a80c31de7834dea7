package testbin

import (
	"bytes"
	"crypto/tls"
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
	"time"
)

// ErrNoExit is returned by Terminate and Wait when the process is still
// running when the timeout passes; it has been killed by then.
var ErrNoExit = errors.New("testbin: atomdav did not exit in time")

const (
	startTries   = 5                // a port found free may be taken before atomdav binds it
	readyTimeout = 15 * time.Second // how long Start waits for the first answer
	outputLines  = 40               // lines Output returns at most
)

// StartOptions says how Start runs the server. The zero value serves over
// plain HTTP with no flags beyond the directory and the address.
type StartOptions struct {
	// Args follow "serve DIR --addr ADDR" on the command line.
	Args []string
	// Env is added to the test's environment.
	Env []string
	// TLS, if set, makes the URL https and is the client configuration of
	// the default readiness probe.
	TLS *tls.Config
	// Ready, if set, replaces the default readiness probe (OPTIONS / gets
	// any answer over a connection that is then closed). It is called with
	// the base URL until it returns nil, the process exits or 15s pass.
	Ready func(url string) error
	// Poll is the pause between readiness probes; zero means 20ms.
	Poll time.Duration
	// Output, if set, also receives everything the process writes to
	// stdout and stderr. It must stay usable until Done is closed.
	Output io.Writer
}

// Process is one running `atomdav serve`. Its methods are safe for
// concurrent use.
type Process struct {
	dir, addr, url string
	cmd            *exec.Cmd
	out            *Buffer
	done           chan struct{} // closed when the process has exited
	err            error         // cmd.Wait's result, set before done is closed

	mu      sync.Mutex // guards stopped
	stopped bool       // Terminate, Wait or Kill9 has begun
}

// Start runs `binary serve dir --addr ADDR opts.Args...` on a free
// loopback address and returns once it answers. A port taken between
// picking and binding ("address already in use") is retried with another.
// The error of a failed start carries the tail of the server's output.
func Start(binary, dir string, opts StartOptions) (*Process, error) {
	var last error
	for range startTries {
		p, err := start(binary, dir, opts)
		if err == nil {
			return p, nil
		}
		last = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, last
}

// start makes one attempt on one free port.
func start(binary, dir string, opts StartOptions) (*Process, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if opts.TLS != nil {
		scheme = "https"
	}
	p := &Process{
		dir:  dir,
		addr: addr,
		url:  scheme + "://" + addr,
		cmd:  exec.Command(binary, append([]string{"serve", dir, "--addr", addr}, opts.Args...)...),
		out:  &Buffer{},
		done: make(chan struct{}),
	}
	var w io.Writer = p.out
	if opts.Output != nil {
		w = io.MultiWriter(p.out, opts.Output)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if opts.Env != nil {
		p.cmd.Env = append(os.Environ(), opts.Env...)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("testbin: %w", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(opts); err != nil {
		p.Kill9()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, p.Output())
	}
	return p, nil
}

// waitReady probes until the server answers, it exits or readyTimeout
// passes.
func (p *Process) waitReady(opts StartOptions) error {
	ready, poll := opts.Ready, opts.Poll
	if ready == nil {
		ready = optionsProbe(opts.TLS)
	}
	if poll == 0 {
		poll = 20 * time.Millisecond
	}
	for deadline := time.Now().Add(readyTimeout); time.Now().Before(deadline); time.Sleep(poll) {
		select {
		case <-p.done:
			return fmt.Errorf("testbin: atomdav exited before answering: %v", p.err)
		default:
		}
		if ready(p.url) == nil {
			return p.stillOurs()
		}
	}
	return errors.New("testbin: atomdav did not answer in time")
}

// bindGrace is how long a server that answered is watched for an exit:
// the answer may have come from another test's server that took the
// port first, while this one fails to bind it.
const bindGrace = 100 * time.Millisecond

// stillOurs checks, once the address answered, that this server did not
// exit meanwhile (a port taken by another server: "address already in
// use", which Start retries on another port).
func (p *Process) stillOurs() error {
	select {
	case <-p.done:
	case <-time.After(bindGrace):
	}
	select {
	case <-p.done:
		return fmt.Errorf("testbin: atomdav exited although its address answered (another server's?): %v", p.err)
	default:
	}
	if strings.Contains(p.Output(), "address already in use") {
		return errors.New("testbin: address already in use")
	}
	return nil
}

// optionsProbe sends OPTIONS / and accepts any answer: under --prefix, or
// with users, / may be outside the share or want a login. It keeps no
// connection open, so it holds no slot of --max-conns.
func optionsProbe(clientTLS *tls.Config) func(url string) error {
	c := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: clientTLS},
	}
	return func(url string) error {
		req, err := http.NewRequest("OPTIONS", url+"/", nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
}

// FreeAddr returns a loopback address nobody listens on right now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Dir is the served directory.
func (p *Process) Dir() string { return p.dir }

// Addr is the host:port the server listens on.
func (p *Process) Addr() string { return p.addr }

// URL is http://host:port, or https:// with StartOptions.TLS, with no
// trailing slash.
func (p *Process) URL() string { return p.url }

// Pid is the process's id, for a command that signals it by number (a
// logrotate postrotate script, say).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Signal sends sig to the process; it fails once the process has exited
// and been reaped.
func (p *Process) Signal(sig os.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// Terminate sends SIGTERM and waits as Wait does. It does nothing and
// returns nil once Terminate, Wait or Kill9 has been called.
func (p *Process) Terminate(timeout time.Duration) error {
	if !p.claimStop() {
		return nil
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		p.kill()
		return fmt.Errorf("testbin: SIGTERM: %w", err)
	}
	return p.wait(timeout)
}

// Wait waits for a process already told to stop (by a signal sent with
// Signal). It returns nil only for exit status 0; a process still running
// after timeout is killed and ErrNoExit returned. It does nothing and
// returns nil once Terminate, Wait or Kill9 has been called.
func (p *Process) Wait(timeout time.Duration) error {
	if !p.claimStop() {
		return nil
	}
	return p.wait(timeout)
}

func (p *Process) wait(timeout time.Duration) error {
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("%w: still running after %v", ErrNoExit, timeout)
	}
	if p.err != nil {
		return fmt.Errorf("testbin: atomdav exited with %w, want exit status 0", p.err)
	}
	return nil
}

// Kill9 kills the process with SIGKILL, as a crash would, and waits for
// it. It does nothing once Terminate, Wait or Kill9 has been called.
func (p *Process) Kill9() {
	if p.claimStop() {
		p.kill()
	}
}

func (p *Process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// claimStop reports whether this is the first call to stop the process.
func (p *Process) claimStop() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	p.stopped = true
	return true
}

// Log returns everything the process has written to stdout and stderr.
func (p *Process) Log() string { return p.out.String() }

// Output returns the last 40 lines of Log, for error messages.
func (p *Process) Output() string {
	lines := strings.SplitAfter(p.out.String(), "\n")
	if len(lines) > outputLines {
		lines = append([]string{"…\n"}, lines[len(lines)-outputLines:]...)
	}
	return strings.Join(lines, "")
}

// Buffer collects a process's output: a bytes.Buffer safe for the
// concurrent writes of the process and reads of a test. The zero value is
// an empty buffer ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// server is one server process Compare started.
type server struct {
	name string
	url  string // http://127.0.0.1:port/
	cmd  *exec.Cmd
	log  string // file the process writes its output to
	done chan struct{}
	err  error // cmd.Wait's, set before done closes
}

// startServer starts the command newCmd(addr) returns for a free loopback
// address and waits until OPTIONS / answers. A port taken between picking
// and binding is retried with another.
func startServer(ctx context.Context, name, logFile string, newCmd func(addr string) (*exec.Cmd, error)) (*server, error) {
	var last error
	for range 5 {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		cmd, err := newCmd(addr)
		if err != nil {
			return nil, err
		}
		s, err := launch(ctx, name, "http://"+addr+"/", logFile, cmd)
		if err == nil {
			return s, nil
		}
		last = err
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	return nil, last
}

func launch(ctx context.Context, name, url, logFile string, cmd *exec.Cmd) (*server, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Cancelled, a server shuts down as on Ctrl-C (Apache takes its
	// children with it), and is killed only if it lingers.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: starting %s: %w", name, err)
	}
	s := &server{name: name, url: url, cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		f.Close()
		close(s.done)
	}()
	if err := s.waitReady(ctx, 20*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("bench: %s: %w\n%s", name, err, s.output())
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

// waitReady polls OPTIONS / until it is answered, the process exits or
// the timeout passes.
func (s *server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer c.CloseIdleConnections()
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("exited before answering: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, "OPTIONS", s.url, nil)
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("did not answer OPTIONS / in time")
}

// stop sends SIGTERM, waits up to 30 s, then kills.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// exited reports whether the process has ended, and how.
func (s *server) exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.err
	default:
		return false, nil
	}
}

// output returns the end of what the process wrote.
func (s *server) output() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = append([]byte("…"), b[len(b)-4000:]...)
	}
	return string(b)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/bench"
	"github.com/atomdav/atomdav/internal/testbin"
)

// TestSmoke runs every scenario for a moment, with tiny fixtures, against
// the real atomdav binary on a loopback port, through davbench's own
// command line, and wants no errors: the quick davbench run CI does.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs atomdav")
	}
	bin, err := testbin.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	url := startAtomdav(t, bin, t.TempDir())
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-url", url, "-scenario", "all", "-d", "300ms", "-json",
		"-large-size", "2MiB", "-put-large-size", "1MiB", "-files", "100", "-small-files", "50", "-timeout", "30s"},
		&stdout, &stderr)
	if code != 0 {
		t.Errorf("davbench exited %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	var got []string
	dec := json.NewDecoder(&stdout)
	for {
		var r bench.Result
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("output is not JSON lines: %v", err)
		}
		got = append(got, r.Scenario)
		if r.Errors != 0 || r.Ops == 0 || r.Bytes == 0 && !strings.HasPrefix(r.Scenario, "lock") {
			t.Errorf("%s: want operations, bytes and no errors: %s", r.Scenario, r)
		}
	}
	if want := bench.Scenarios(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("scenarios run: %v, want %v", got, want)
	}
}

// startAtomdav serves dir with bin on a free loopback port until the test
// ends, and returns the share's URL.
func startAtomdav(t *testing.T, bin, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", dir, "--addr", addr, "--anonymous", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("atomdav output:\n%s", &out)
		}
	})
	url := "http://" + addr + "/"
	if err := waitReady(url, done, 15*time.Second); err != nil {
		t.Fatalf("atomdav: %v\n%s", err, &out)
	}
	return url
}

func waitReady(url string, done <-chan error, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			return fmt.Errorf("exited before answering: %v", err)
		default:
		}
		req, _ := http.NewRequest("OPTIONS", url, nil)
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
	}
	return errors.New("did not answer OPTIONS / in time")
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, 0, "scenarios (default clients):"},
		{"no URL", []string{"-scenario", "get-small"}, exitUsage, "-url is required"},
		{"unknown scenario", []string{"-url", "http://127.0.0.1:1/", "-scenario", "nope"}, exitUsage, `unknown scenario "nope"`},
		{"bad size", []string{"-url", "http://127.0.0.1:1/", "-large-size", "12XB"}, exitUsage, "not a size"},
		{"compare help", []string{"compare", "-h"}, 0, "Markdown table"},
		{"compare without Apache", []string{"compare", "-apache", "/nonexistent/apache2"}, exitUsage, "apt-get install -y apache2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String()+stderr.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s%s", tt.want, &stdout, &stderr)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "64KiB": 64 << 10, "256MiB": 256 << 20, "1GiB": 1 << 30, "10B": 10} {
		var s byteSize
		if err := s.Set(in); err != nil || int64(s) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, s, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5GiB", "12XB", "GiB"} {
		var s byteSize
		if err := s.Set(in); err == nil {
			t.Errorf("Set(%q) accepted", in)
		}
	}
	for n, want := range map[int64]string{1 << 30: "1GiB", 256 << 20: "256MiB", 1536 << 20: "1536MiB", 4097: "4097", 0: "0"} {
		s := byteSize(n)
		if got := s.String(); got != want {
			t.Errorf("String(%d) = %q, want %q", n, got, want)
		}
	}
}

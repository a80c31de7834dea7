package testbin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeEnv, set, makes the test binary act as `atomdav serve DIR --addr
// ADDR [--exit N]`: it answers every request with 204 and, on SIGTERM,
// exits with status N (0 by default). With DIR "fail" it exits 3 at once.
const fakeEnv = "TESTBIN_FAKE_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) == "1" {
		os.Exit(fakeServe(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeServe(args []string) int {
	if len(args) < 4 || args[0] != "serve" || args[2] != "--addr" {
		fmt.Println("usage: serve DIR --addr ADDR [--exit N]")
		return 2
	}
	if args[1] == "fail" {
		fmt.Println("cannot serve fail")
		return 3
	}
	code := 0
	if len(args) == 6 && args[4] == "--exit" {
		fmt.Sscan(args[5], &code)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	ln, err := net.Listen("tcp", args[3])
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("serving", args[1])
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	<-sig
	fmt.Println("shutting down")
	return code
}

func startFake(t *testing.T, dir string, args ...string) (*Process, error) {
	t.Helper()
	return Start(os.Args[0], dir, StartOptions{Args: args, Env: []string{fakeEnv + "=1"}})
}

func TestTerminate(t *testing.T) {
	t.Parallel()
	p, err := startFake(t, "d")
	if err != nil {
		t.Fatal(err)
	}
	if p.Dir() != "d" || p.URL() != "http://"+p.Addr() {
		t.Errorf("Dir %q URL %q Addr %q", p.Dir(), p.URL(), p.Addr())
	}
	resp, err := http.Get(p.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("GET /: %s", resp.Status)
	}
	if err := p.Terminate(10 * time.Second); err != nil {
		t.Fatalf("Terminate: %v\n%s", err, p.Output())
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done is open after Terminate")
	}
	if got := p.Log(); got != "serving d\nshutting down\n" {
		t.Errorf("Log = %q", got)
	}
	if err := p.Terminate(time.Second); err != nil {
		t.Errorf("second Terminate: %v, want nil", err)
	}
}

func TestTerminateWantsExit0(t *testing.T) {
	t.Parallel()
	p, err := startFake(t, "d", "--exit", "4")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Terminate(10 * time.Second); err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("Terminate of a process exiting 4: %v", err)
	}
}

func TestKill9(t *testing.T) {
	t.Parallel()
	p, err := startFake(t, "d")
	if err != nil {
		t.Fatal(err)
	}
	p.Kill9()
	<-p.Done()
	if err := p.Terminate(time.Second); err != nil {
		t.Errorf("Terminate after Kill9: %v, want nil", err)
	}
	if err := p.Signal(syscall.SIGHUP); err == nil {
		t.Error("Signal after Kill9 succeeded")
	}
}

func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	p, err := startFake(t, "d")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(50 * time.Millisecond); !errors.Is(err, ErrNoExit) {
		t.Errorf("Wait with no signal sent: %v, want ErrNoExit", err)
	}
	<-p.Done()
}

func TestStartFails(t *testing.T) {
	t.Parallel()
	_, err := startFake(t, "fail")
	if err == nil || !strings.Contains(err.Error(), "cannot serve fail") {
		t.Errorf("Start of a server that exits: %v, want its output in the error", err)
	}
}

func TestOutputTail(t *testing.T) {
	var b Buffer
	p := &Process{out: &b}
	for i := range 100 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	got := p.Output()
	if !strings.HasPrefix(got, "…\nline 61\n") || !strings.HasSuffix(got, "line 99\n") {
		t.Errorf("Output = %q", got)
	}
}

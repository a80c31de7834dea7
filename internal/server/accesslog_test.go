package server

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAppendLogItem: what a client chose cannot end a field or a line of
// the combined format, whatever bytes it holds (Apache's escaping).
func TestAppendLogItem(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain/1.0 (x; y)", "plain/1.0 (x; y)"},
		{`a"b\c`, `a\"b\\c`},
		{"l1\nl2\r\n127.0.0.1 - root", `l1\nl2\r\n127.0.0.1 - root`},
		{"\b\t\v\x00\x1b[31m\x7f", `\b\t\v\x00\x1b[31m\x7f`},
		{"é\xff", `\xc3\xa9\xff`},
	} {
		if got := string(appendLogItem(nil, tt.in)); got != tt.want {
			t.Errorf("appendLogItem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestAccessLine: a line in each format for a request whose headers hold
// newlines and quotes is one line, and the JSON one decodes to the bytes
// sent (invalid UTF-8 replaced).
func TestAccessLine(t *testing.T) {
	r := httptest.NewRequest("GET", "/a%20b?q=\"", nil)
	r.RemoteAddr = "192.0.2.7:4711"
	r.Header.Set("User-Agent", "x\"\n\r\x00</script>\u2028\xff")
	e := &accessEntry{r: r, start: time.Date(2026, 12, 6, 4, 5, 6, 0, time.FixedZone("", 3600)), dur: 1500 * time.Microsecond,
		id: "0123456789abcdef", user: "alice", status: 207, bytes: 0}
	combined := string(appendCombinedLine(nil, e))
	want := `192.0.2.7 - alice [06/Dec/2026:04:05:06 +0100] "GET /a%20b?q=\" HTTP/1.1" 207 - "-" "x\"\n\r\x00</script>\xe2\x80\xa8\xff"` + "\n"
	if combined != want {
		t.Errorf("combined line\n%q, want\n%q", combined, want)
	}
	e.client, e.bytes = "2001:db8::1", 12
	line := appendJSONLine(nil, e)
	if bytes.Count(line, []byte("\n")) != 1 || bytes.ContainsAny(line[:len(line)-1], "\r\x00\u2028") {
		t.Fatalf("JSON line is not one plain line: %q", line)
	}
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	for k, v := range map[string]any{"host": "2001:db8::1", "user": "alice", "uri": "/a%20b?q=\"", "status": 207.0,
		"bytes": 12.0, "user_agent": "x\"\n\r\x00</script>\u2028\ufffd", "duration_ms": 1.5, "id": "0123456789abcdef",
		"time": "2026-12-06T04:05:06.000+01:00", "referer": ""} {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

// TestAccessLogReopen: after the file is moved away, Reopen sends the
// lines to come to a new file of the name; Close writes what is pending.
func TestAccessLogReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := OpenAccessLog(path, "combined", nil)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(uri string) *accessEntry {
		r := httptest.NewRequest("GET", uri, nil)
		return &accessEntry{r: r, start: time.Now(), status: 200}
	}
	l.log(entry("/one"))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(path); len(b) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	for range 1000 { // more than the writer takes at once, usually
		l.log(entry("/two"))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if strings.Count(string(old), "\n") != 1 || !strings.Contains(string(old), "/one") {
		t.Errorf("rotated file: %q", old)
	}
	if n := strings.Count(string(cur), " /two "); n != 1000 || strings.Contains(string(cur), "/one") {
		t.Errorf("new file holds %d lines of /two, want 1000 and no /one", n)
	}
}

// gatedWriter holds its first Write until gate is closed, as a disk that
// stalls would, and keeps what it is given.
type gatedWriter struct {
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
	buf     bytes.Buffer // written by the log's one writer goroutine
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered); <-g.gate })
	return g.buf.Write(p)
}

// TestAccessLogStalledDisk: while the file does not take writes, requests
// fill the bounded buffer and then wait; once it takes them again every
// line is there, none dropped.
func TestAccessLogStalledDisk(t *testing.T) {
	g := &gatedWriter{gate: make(chan struct{}), entered: make(chan struct{})}
	l, err := OpenAccessLog("stderr", "combined", g)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/"+strings.Repeat("x", 200), nil)
	const n = 5000 // about 1.3 MB of lines, five buffers
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			l.log(&accessEntry{r: r, start: time.Now(), status: 200})
		}
	}()
	<-g.entered // the writer is stuck in its first write
	line := len(appendCombinedLine(nil, &accessEntry{r: r, start: time.Now(), status: 200}))
	for i := 0; i < 2000; i++ { // the buffer fills up to its bound, no further
		l.mu.Lock()
		pending := len(l.pending)
		l.mu.Unlock()
		if pending > accessLogBuffer+line {
			t.Fatalf("%d bytes wait for a stuck writer, over the bound of %d", pending, accessLogBuffer)
		}
		runtime.Gosched()
	}
	select {
	case <-done:
		t.Fatal("every line was taken while the writer was stuck: the buffer is not bounded")
	default:
	}
	close(g.gate)
	<-done
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(g.buf.String(), "\n"); got != n {
		t.Errorf("%d lines written, want %d", got, n)
	}
}

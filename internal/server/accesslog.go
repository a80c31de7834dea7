package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// AccessLog writes one line per request, in Apache's combined log format
// or as JSON, to stderr or to a file opened for appending; Reopen opens
// the file again by its name, as logrotate expects after moving it.
//
// Lines are gathered in a buffer of at most accessLogBuffer bytes, and one
// goroutine writes what has gathered in one write(2). A request adds its
// line after its handler has returned, when its answer may still sit in
// net/http's buffer: a slow disk (a full or remote file system) must not
// hold up answers, nor serialise requests on the file. When the buffer is
// full, requests wait for the writer rather than lose lines: the log stays
// complete, and a disk that cannot keep up slows the server down instead
// of growing its memory. A kill -9 loses the lines not yet written, at
// most one buffer; Close (at shutdown) writes them all.
//
// It is safe for concurrent use.
type AccessLog struct {
	json bool   // the format: JSON, else combined
	path string // the file, "" for a writer that is not reopened

	mu      sync.Mutex // guards pending, closed
	cond    sync.Cond  // L is &mu; signalled when pending grows or is taken
	pending []byte     // lines not yet handed to the writer
	closed  bool

	wmu sync.Mutex // guards out, f; held while writing
	out io.Writer
	f   *os.File // out when it is a file we opened, else nil

	done chan struct{} // closed when the writer goroutine has ended
}

// accessLogBuffer bounds the lines that wait for the writer: a few
// thousand requests' worth.
const accessLogBuffer = 256 << 10

// OpenAccessLog starts an access log in format ("combined" or "json") that
// writes to stderr when where is "stderr", else to the file where names
// (created 0640 if missing, appended to).
func OpenAccessLog(where, format string, stderr io.Writer) (*AccessLog, error) {
	l := &AccessLog{json: format == "json", done: make(chan struct{})}
	l.cond.L = &l.mu
	if where == "stderr" {
		l.out = stderr
	} else {
		f, err := openAppend(where)
		if err != nil {
			return nil, err
		}
		l.path, l.out, l.f = where, f, f
	}
	go l.writeLoop()
	return l, nil
}

// openAppend opens the access log file for appending.
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("access-log: %w", err)
	}
	return f, nil
}

// Reopen opens the file by its name again and writes the lines to come
// there; lines already handed to the writer go to the file it had. After a
// failure the old file stays in use. With stderr it does nothing.
func (l *AccessLog) Reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := openAppend(l.path)
	if err != nil {
		return err
	}
	l.wmu.Lock()
	old := l.f
	l.out, l.f = f, f
	l.wmu.Unlock()
	return old.Close()
}

// Close writes every pending line, stops the writer and closes the file.
// Lines logged after Close are dropped.
func (l *AccessLog) Close() error {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	<-l.done
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.f != nil {
		return l.f.Close()
	}
	return nil
}

// writeLoop hands what is pending to the file until Close, swapping two
// buffers so that requests add lines while the other one is written.
// A write error is not reported: the lines are lost, the next write tries
// again (a full disk that frees up resumes the log).
func (l *AccessLog) writeLoop() {
	defer close(l.done)
	spare := make([]byte, 0, accessLogBuffer)
	l.mu.Lock()
	for {
		for len(l.pending) == 0 && !l.closed {
			l.cond.Wait()
		}
		if len(l.pending) == 0 {
			l.mu.Unlock()
			return
		}
		buf := l.pending
		l.pending = spare[:0]
		l.cond.Broadcast() // room for the requests that wait
		l.mu.Unlock()
		l.wmu.Lock()
		l.out.Write(buf)
		l.wmu.Unlock()
		spare = buf
		l.mu.Lock()
	}
}

// accessEntry is what a request's line says.
type accessEntry struct {
	r      *http.Request
	start  time.Time
	dur    time.Duration
	id     string // request id
	client string // the client's address when a trusted proxy named it
	user   string // "" for anonymous
	status int
	bytes  int64
}

// log adds e's line, waiting while the buffer is full.
func (l *AccessLog) log(e *accessEntry) {
	l.mu.Lock()
	for len(l.pending) >= accessLogBuffer && !l.closed {
		l.cond.Wait()
	}
	if !l.closed {
		if l.json {
			l.pending = appendJSONLine(l.pending, e)
		} else {
			l.pending = appendCombinedLine(l.pending, e)
		}
		l.cond.Broadcast()
	}
	l.mu.Unlock()
}

// remoteHost is %h: the client's IP address, as a trusted proxy named it
// or else the peer's.
func (e *accessEntry) remoteHost() string {
	if e.client != "" {
		return e.client
	}
	if host, _, err := net.SplitHostPort(e.r.RemoteAddr); err == nil {
		return host
	}
	return e.r.RemoteAddr
}

// clfTime is %t's layout.
const clfTime = "[02/Jan/2006:15:04:05 -0700]"

// appendCombinedLine appends e in Apache's combined log format,
// `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, escaping what
// the client chose as Apache does (see appendLogItem).
func appendCombinedLine(b []byte, e *accessEntry) []byte {
	b = append(b, e.remoteHost()...)
	b = append(b, " - "...)
	b = appendLogItemOrDash(b, e.user)
	b = append(b, ' ')
	b = e.start.AppendFormat(b, clfTime)
	b = append(b, " \""...)
	b = appendLogItem(b, e.r.Method)
	b = append(b, ' ')
	b = appendLogItem(b, e.r.RequestURI)
	b = append(b, ' ')
	b = appendLogItem(b, e.r.Proto)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, ' ')
	if e.bytes == 0 {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, e.bytes, 10)
	}
	b = append(b, " \""...)
	b = appendLogItemOrDash(b, e.r.Header.Get("Referer"))
	b = append(b, "\" \""...)
	b = appendLogItemOrDash(b, e.r.Header.Get("User-Agent"))
	return append(b, "\"\n"...)
}

// appendLogItemOrDash is appendLogItem, or "-" for an empty s.
func appendLogItemOrDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendLogItem(b, s)
}

// appendLogItem appends s escaped as Apache's ap_escape_logitem does, so
// that nothing a client sends can end a field or a line, or forge one:
// '"' and '\' get a backslash, \b \n \r \t \v are written so, and every
// other byte that is not printable ASCII as \xhh (UTF-8 included).
func appendLogItem(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, `\b`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\v':
			b = append(b, `\v`...)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}

// accessJSON is one line of the JSON access log: the combined format's
// fields, each on its own (the request line in method, uri and proto),
// plus the duration in milliseconds and the request id.
type accessJSON struct {
	Time       string  `json:"time"`
	Host       string  `json:"host"`
	User       string  `json:"user"`
	Method     string  `json:"method"`
	URI        string  `json:"uri"`
	Proto      string  `json:"proto"`
	Status     int     `json:"status"`
	Bytes      int64   `json:"bytes"`
	Referer    string  `json:"referer"`
	UserAgent  string  `json:"user_agent"`
	DurationMS float64 `json:"duration_ms"`
	ID         string  `json:"id"`
}

// appendJSONLine appends e as one line of JSON (accessJSON), written by
// encoding/json: control characters, U+2028/9 and '<', '>', '&' escaped,
// invalid UTF-8 replaced by U+FFFD, so no client-chosen byte ends a line.
func appendJSONLine(b []byte, e *accessEntry) []byte {
	line, err := json.Marshal(accessJSON{
		Time: e.start.Format("2006-01-02T15:04:05.000Z07:00"), Host: e.remoteHost(), User: e.user,
		Method: e.r.Method, URI: e.r.RequestURI, Proto: e.r.Proto, Status: e.status, Bytes: e.bytes,
		Referer: e.r.Header.Get("Referer"), UserAgent: e.r.Header.Get("User-Agent"),
		DurationMS: float64(e.dur.Microseconds()) / 1000, ID: e.id,
	})
	if err != nil { // strings and numbers always marshal
		panic(err)
	}
	return append(append(b, line...), '\n')
}

// reopenAccessLog reopens the access log file, as SIGHUP does (Reload), so
// that logrotate can move the file away and signal (its postrotate). A
// file that cannot be reopened is logged, and the old one stays in use.
// Without an access log file it does nothing.
func (s *Server) reopenAccessLog() {
	if s.access == nil || s.access.path == "" {
		return
	}
	if err := s.access.Reopen(); err != nil {
		s.log.Error("access log not reopened; still writing to the previous file", "err", err)
		return
	}
	s.log.Info("access log reopened", "file", s.access.path)
}

// closeAccessLog writes the access log's last lines and closes it, once
// no request is served any more.
func (s *Server) closeAccessLog() {
	if s.access == nil {
		return
	}
	if err := s.access.Close(); err != nil {
		s.log.Error("closing the access log", "err", err)
	}
}

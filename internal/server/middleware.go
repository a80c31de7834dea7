package server

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// requestKey is the context key of the request's *requestInfo.
type requestKey struct{}

// requestInfo is what the outer middleware knows of a request and reads
// back when it is done. It is installed before the chain runs because
// values put in a context travel inwards only: withAuth fills user in
// rather than adding a value of its own.
type requestInfo struct {
	id   string // the request id, also sent as X-Request-Id
	user string // the user the request is served as; empty for anonymous
	// client is the client's address as a trusted proxy named it (for the
	// access log); empty when the peer is the client.
	client string
}

// requestID returns the id the middleware gave this request.
func requestID(ctx context.Context) string {
	if ri, ok := ctx.Value(requestKey{}).(*requestInfo); ok {
		return ri.id
	}
	return ""
}

// newRequestID returns 16 random hex digits. The id only ties log lines
// to a response, so it needs no cryptographic randomness (math/rand/v2's
// generator costs no system call).
func newRequestID() string {
	var b [8]byte
	var s [16]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	hex.Encode(s[:], b[:])
	return string(s[:])
}

// middleware is the outer layer of the chain, in one handler so that each
// request pays for one wrapper and one clock read: it recovers panics,
// gives the request its id, counts it in the metrics (when measuring) and
// writes the access log line: to the access log when one is configured,
// else as the server log's "request" line (when its level is info or
// lower), never both.
//
// Metrics count requests, their duration and the bytes of their bodies in
// and out; a request whose handler panicked before answering is counted as
// the 500 the recovery sends.
//
// Every layer's frame stays on the stack while a GET is sent, beneath
// net/http's own (http.ServeContent, then the response header's writing,
// close to 3 KiB): the chain keeps its frames small, deciding in helpers
// that return before the next layer runs, and adds no wrapper frames, so
// that a request fits the goroutine's first 8 KiB of stack. A goroutine
// that outgrows it copies its stack to a larger one, and the garbage
// collector shrinks it back between requests, so it would pay for the copy
// again and again.
func (s *Server) middleware(h http.Handler) http.Handler {
	return &outerLayer{s: s, m: s.ops.m, next: h}
}

// outerLayer is middleware's handler.
type outerLayer struct {
	s    *Server
	m    *opsMetrics // nil when not measuring
	next http.Handler
}

func (o *outerLayer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, m, h := o.s, o.m, o.next
	start := time.Now()
	rec := &recorder{ResponseWriter: w, info: requestInfo{id: newRequestID()}}
	ri := &rec.info
	r = r.WithContext(context.WithValue(r.Context(), requestKey{}, ri))
	w.Header().Set("X-Request-Id", ri.id)
	if m != nil {
		rec.out = m.bytesOut
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &countingBody{ReadCloser: r.Body, n: m.bytesIn}
		}
	}
	returned := false
	defer func() {
		v := recover()
		if v != nil && v != http.ErrAbortHandler {
			s.log.Error("panic", "id", ri.id, "method", r.Method, "path", r.URL.Path, "panic", v)
			if rec.status == 0 {
				http.Error(rec, "Internal Server Error", http.StatusInternalServerError)
			}
		}
		dur := time.Since(start)
		if m != nil {
			m.observe(r.Method, rec.final, returned, dur)
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		if s.access != nil {
			s.logAccess(r, rec, start, dur)
		} else if s.log.Enabled(r.Context(), slog.LevelInfo) {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("id", ri.id),
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("user", ri.user),
				slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
				slog.Duration("dur", dur))
		}
	}()
	h.ServeHTTP(rec, r)
	returned = true
}

// logAccess writes r's line to the access log: its final status (the 200
// net/http sends for a handler that wrote nothing), and the client's
// address as a trusted proxy named it.
func (s *Server) logAccess(r *http.Request, rec *recorder, start time.Time, dur time.Duration) {
	status := rec.final
	if status == 0 {
		status = http.StatusOK
	}
	s.access.log(&accessEntry{r: r, start: start, dur: dur, id: rec.info.id,
		client: rec.info.client, user: rec.info.user, status: status, bytes: rec.bytes})
}

// recorder remembers the status and size of a response for the access log
// and the metrics, and adds the bytes of its body to out as they are
// written. It holds the request's requestInfo too, so the middleware makes
// one allocation for both.
type recorder struct {
	http.ResponseWriter
	info   requestInfo
	out    prometheus.Counter // nil when not measuring
	status int                // the first status sent, 1xx included (access log)
	final  int                // 0 until a final (non-1xx) status is sent (metrics)
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	if r.final == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.final = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.implicitOK()
	n, err := r.ResponseWriter.Write(p)
	r.count(int64(n))
	return n, err
}

// ReadFrom keeps the sendfile path of the real ResponseWriter for GET,
// calling its ReadFrom directly rather than through io.Copy (one frame
// fewer, see middleware).
//
// When the handler has set its status and Content-Type, as
// http.ServeContent does, the header is flushed first: net/http otherwise
// reads and writes the body's first 512 bytes itself, to sniff a type that
// is already known, and only then hands the rest to sendfile. Flushed,
// the whole body goes by sendfile, a read(2) fewer per GET.
func (r *recorder) ReadFrom(src io.Reader) (n int64, err error) {
	typed := r.final != 0 && r.Header()["Content-Type"] != nil
	r.implicitOK()
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		if fl, ok := r.ResponseWriter.(http.Flusher); ok && typed {
			fl.Flush()
		}
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(r.ResponseWriter, src)
	}
	r.count(n)
	return n, err
}

// implicitOK notes the 200 that net/http sends before a body written
// without WriteHeader.
func (r *recorder) implicitOK() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.final == 0 {
		r.final = http.StatusOK
	}
}

func (r *recorder) count(n int64) {
	r.bytes += n
	if r.out != nil {
		r.out.Add(float64(n))
	}
}

// Unwrap lets http.ResponseController and io.Copy's sendfile path reach the
// real ResponseWriter.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

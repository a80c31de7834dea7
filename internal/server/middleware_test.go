package server

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/internal/config"
)

// TestMiddleware checks what the outer middleware records of each request:
// the access log line, the X-Request-Id it matches, and the status the
// metrics count, including for handlers that panic or say nothing.
func TestMiddleware(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		status  int    // what the client gets
		logged  string // the access log's status and bytes; empty: no line
		counted string // the metrics' status label
		user    string
	}{
		{
			name:    "body-with-status",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(207); io.WriteString(w, "hello") },
			status:  207, logged: "status=207 bytes=5", counted: "207",
		},
		{
			name:    "body-without-status-is-200",
			handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") },
			status:  200, logged: "status=200 bytes=2", counted: "200",
		},
		{
			name:    "silent-handler-logged-0-counted-200",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			status:  200, logged: "status=0 bytes=0", counted: "200",
		},
		{
			name:    "early-hints-then-final",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(103); w.WriteHeader(204) },
			status:  103, logged: "status=103 bytes=0", counted: "204", // httptest keeps the first status
		},
		{
			name:    "panic-answered-500",
			handler: func(w http.ResponseWriter, r *http.Request) { panic("boom") },
			status:  500, logged: "status=500", counted: "500",
		},
		{
			name:    "user-logged",
			handler: func(w http.ResponseWriter, r *http.Request) { setUser(r, "alice"); w.WriteHeader(201) },
			status:  201, logged: "status=201 bytes=0", counted: "201", user: "alice",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s := &Server{
				log: slog.New(slog.NewTextHandler(&logs, nil)),
				ops: newOpsState(config.Config{MetricsAddr: "127.0.0.1:0"}),
			}
			var seenID string
			h := s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenID = requestID(r.Context())
				tc.handler(w, r)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/f", nil))
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			id := rec.Header().Get("X-Request-Id")
			if len(id) != 16 || id != seenID {
				t.Errorf("X-Request-Id %q, handler saw %q", id, seenID)
			}
			line := requestLine(logs.String())
			user := tc.user
			if user == "" {
				user = `""`
			}
			want := "id=" + id + " method=GET path=/f user=" + user + " " + tc.logged
			if !strings.Contains(line, want) {
				t.Errorf("access log %q lacks %q", line, want)
			}
			if got, want := requestsCounted(t, s), "GET "+tc.counted+"=1"; got != want {
				t.Errorf("requests counted: %s, want %s", got, want)
			}
		})
	}
}

// TestMiddlewareAbort checks that http.ErrAbortHandler goes on up to
// net/http, is counted, and is not logged as a request.
func TestMiddlewareAbort(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &Server{
		log: slog.New(slog.NewTextHandler(&logs, nil)),
		ops: newOpsState(config.Config{MetricsAddr: "127.0.0.1:0"}),
	}
	h := s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/f", nil))
	}()
	if line := requestLine(logs.String()); line != "" {
		t.Errorf("aborted request logged: %q", line)
	}
	if got, want := requestsCounted(t, s), "GET 500=1"; got != want {
		t.Errorf("requests counted: %s, want %s", got, want)
	}
}

// requestLine is the access log line among logs, or "".
func requestLine(logs string) string {
	for line := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(line, "msg=request ") {
			return line
		}
	}
	return ""
}

// requestsCounted lists the series of atomdav_requests_total as
// "METHOD STATUS=N", space-separated, and checks that each request has a
// duration.
func requestsCounted(t *testing.T, s *Server) string {
	t.Helper()
	families, err := s.ops.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var series []string
	var requests, durations uint64
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "atomdav_requests_total":
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				series = append(series, fmt.Sprintf("%s %s=%v", labels["method"], labels["status"], m.GetCounter().GetValue()))
				requests += uint64(m.GetCounter().GetValue())
			case "atomdav_request_duration_seconds":
				durations += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if durations != requests {
		t.Errorf("%d durations observed for %d requests", durations, requests)
	}
	return strings.Join(series, " ")
}

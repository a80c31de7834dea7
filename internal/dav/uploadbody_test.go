package dav

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRateWindow feeds a rateWindow of 1000 bytes a second over 8 s with
// reads of a given length and pace, and checks when it first refuses.
func TestRateWindow(t *testing.T) {
	t.Parallel()
	const s = time.Second
	type read struct {
		d time.Duration
		n int
	}
	steady := func(d time.Duration, n, count int) []read {
		out := make([]read, count)
		for i := range out {
			out[i] = read{d, n}
		}
		return out
	}
	cat := func(parts ...[]read) []read {
		var out []read
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name   string
		min    int64
		reads  []read
		refuse int // index of the first refused read, -1 for none
	}{
		{"above the rate for long", 1000, steady(s, 1100, 100), -1},
		{"exactly the rate", 1000, steady(s/4, 250, 100), -1},
		{"under the rate: cut once the grace window is over", 1000, steady(s, 800, 100), 7},
		{"a trickle: cut once the grace window is over", 1000, steady(s, 10, 100), 7},
		{"one byte every 7s: cut at the first read after the grace", 1000, steady(7*s, 1, 10), 1},
		{"slow start within the grace window", 1000, cat(steady(s, 0, 7), steady(s/10, 10000, 200)), -1},
		{"a stall made up for by the rest of the window", 1000, cat(steady(s, 2000, 10), steady(3*s, 0, 1), steady(s, 2000, 20)), -1},
		{"a stall too long for the rest of the window", 1000, cat(steady(s, 2000, 10), steady(5*s, 0, 1)), 10},
		{"a burst then silence: the burst slides out of the window", 1000, cat(steady(s/10, 100000, 1), steady(s, 0, 20)), 8},
		{"no minimum", 0, steady(7*s, 0, 20), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := rateWindow{min: tt.min, window: 8 * s}
			got := -1
			for i, r := range tt.reads {
				if !w.add(r.d, r.n) {
					got = i
					break
				}
			}
			if got != tt.refuse {
				t.Fatalf("first refused read: %d, want %d", got, tt.refuse)
			}
		})
	}
}

// fakeConn records the read deadlines set on a connection and tells when
// the fake clock has passed the last one.
type fakeConn struct {
	deadline time.Time
	sets     int
}

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.deadline = t
	c.sets++
	return nil
}

// pacedBody sends n bytes per read, each read taking step on the fake
// clock; a read that would end after the connection's deadline fails as
// a net.Conn read would.
type pacedBody struct {
	clock *time.Time
	conn  *fakeConn
	step  time.Duration
	n     int
	left  int
}

func (p *pacedBody) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	end := p.clock.Add(p.step)
	if !p.conn.deadline.IsZero() && end.After(p.conn.deadline) {
		*p.clock = p.conn.deadline
		return 0, os.ErrDeadlineExceeded
	}
	*p.clock = end
	n := min(p.n, p.left, len(b))
	p.left -= n
	return n, nil
}

// TestUploadBody reads paced bodies through an uploadBody on a fake clock:
// a trickle under the minimum rate and a silent body end with a 408 whose
// deadline stays passed; a body above the rate is read whole and its
// deadline lifted.
func TestUploadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cfg        Config
		step       time.Duration
		n, size    int
		wantStatus int // 0: read whole
		wantErr    string
	}{
		{"trickle under the rate", Config{UploadIdleTimeout: 2 * time.Second, UploadMinRate: 1000}, time.Second, 10, 1000, http.StatusRequestTimeout, "under 1000 bytes a second"},
		{"silence", Config{UploadIdleTimeout: 2 * time.Second, UploadMinRate: 1000}, 3 * time.Second, 10, 1000, http.StatusRequestTimeout, "sent nothing for 2s"},
		{"no idle bound: the window is a minute", Config{UploadMinRate: 1000}, 10 * time.Second, 10, 1000, http.StatusRequestTimeout, "over 1m0s"},
		{"above the rate", Config{UploadIdleTimeout: 2 * time.Second, UploadMinRate: 1000}, 100 * time.Millisecond, 200, 20000, 0, ""},
		{"a trickle with no minimum", Config{UploadIdleTimeout: 2 * time.Second}, time.Second, 10, 200, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := time.Unix(1e9, 0)
			conn := &fakeConn{}
			src := &pacedBody{clock: &clock, conn: conn, step: tt.step, n: tt.n, left: tt.size}
			u := newUploadBody(src, nil, &tt.cfg)
			u.conn = conn
			u.now = func() time.Time { return clock }
			got, err := io.Copy(io.Discard, u)
			u.done()
			if tt.wantStatus == 0 {
				if err != nil || got != int64(tt.size) {
					t.Fatalf("read %d bytes, err %v; want %d, nil", got, err, tt.size)
				}
				if !conn.deadline.IsZero() {
					t.Fatalf("deadline %v left after a whole body", conn.deadline)
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) || de.Status != tt.wantStatus || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("after %d bytes: error %v, want status %d with %q", got, err, tt.wantStatus, tt.wantErr)
			}
			if conn.deadline.IsZero() || conn.deadline.After(clock) {
				t.Fatalf("deadline %v after the cut at %v: net/http would wait for the rest of the body", conn.deadline, clock)
			}
		})
	}
}

// TestUploadBodyOff: with neither bound there is nothing to wrap.
func TestUploadBodyOff(t *testing.T) {
	t.Parallel()
	if u := newUploadBody(strings.NewReader("x"), nil, &Config{}); u != nil {
		t.Fatal("newUploadBody wrapped a body with no bound")
	}
}

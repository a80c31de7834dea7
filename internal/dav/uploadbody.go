package dav

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// defaultRateWindow is the window of Config.UploadMinRate when
// Config.UploadIdleTimeout is 0.
const defaultRateWindow = time.Minute

// deadliner sets the read deadline of a request's connection
// (*http.ResponseController; a fake in tests).
type deadliner interface {
	SetReadDeadline(time.Time) error
}

// uploadBody ends a PUT body that is too slow with a 408, so that no
// client holds an upload (its temp file, goroutine and connection) by
// sending next to nothing: a body that sends nothing for idle (a read
// deadline on the connection, renewed before every read), or that sends
// under a minimum rate over a window (rateWindow). A connection that
// cannot take deadlines is read without the idle bound.
type uploadBody struct {
	r    io.Reader
	conn deadliner
	idle time.Duration // 0: no bound
	rate rateWindow
	now  func() time.Time
	cut  bool // the body was ended: the deadline stays passed
	read bool // Read has set a deadline that done must lift
}

// newUploadBody wraps body with the bounds of cfg, or returns nil when
// there are none.
func newUploadBody(body io.Reader, w http.ResponseWriter, cfg *Config) *uploadBody {
	if cfg.UploadIdleTimeout <= 0 && cfg.UploadMinRate <= 0 {
		return nil
	}
	window := cfg.UploadIdleTimeout
	if window <= 0 {
		window = defaultRateWindow
	}
	return &uploadBody{
		r:    body,
		conn: http.NewResponseController(w),
		idle: cfg.UploadIdleTimeout,
		rate: rateWindow{min: cfg.UploadMinRate, window: window},
		now:  time.Now,
	}
}

// done lifts the deadline Read set, for the connection's next request.
// After a cut it stays passed: net/http would otherwise wait for the rest
// of the body, to reuse the connection, before sending the 408. A body
// never read leaves the deadline alone: a refusal before the body (no
// upload slot) has set its own short one, so as not to wait for a body it
// will not take.
func (u *uploadBody) done() {
	if u.read && !u.cut {
		u.conn.SetReadDeadline(time.Time{})
	}
}

func (u *uploadBody) Read(b []byte) (int, error) {
	u.read = true
	start := u.now()
	if u.idle > 0 {
		if err := u.conn.SetReadDeadline(start.Add(u.idle)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return 0, err
		}
	}
	n, err := u.r.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		u.cut = true
		return n, errorf(http.StatusRequestTimeout, "the upload sent nothing for %v", u.idle)
	}
	if err == nil && !u.rate.add(u.now().Sub(start), n) {
		u.cut = true
		u.conn.SetReadDeadline(start) // passed: the rest is not waited for
		return n, errorf(http.StatusRequestTimeout, "the upload sent under %d bytes a second over %v", u.rate.min, u.rate.window)
	}
	return n, err
}

// rateSlots is how many slots a rateWindow counts bytes in: the window
// slides by an eighth of its length.
const rateSlots = 8

// rateWindow tells whether a body keeps up min bytes a second on average
// over the last window of time spent waiting for it. Only the time in
// Read counts: a disk slow to take what was received is not the client's
// fault. The first window is grace, for a client that starts slowly (TCP
// slow start, a phone waking its radio); after it, a stall passes when
// what arrived in the rest of the window makes up for it. Counting in
// slots, a read's bytes at its end, errs by up to a slot in the client's
// favour: a body is cut under min, never at or above it.
type rateWindow struct {
	min    int64 // bytes a second; 0 accepts any rate
	window time.Duration
	waited time.Duration    // time spent in Read so far
	slots  [rateSlots]int64 // bytes received in each slot, a ring by slot number
	newest int64            // number of the newest slot counted
}

// add counts n bytes that took d to arrive and reports whether the body
// still keeps up the rate.
func (w *rateWindow) add(d time.Duration, n int) bool {
	if w.min <= 0 {
		return true
	}
	w.waited += d
	slotLen := max(w.window/rateSlots, 1)
	slot := int64(w.waited / slotLen)
	for s := w.newest + 1; s <= slot && s <= w.newest+rateSlots; s++ {
		w.slots[s%rateSlots] = 0 // a slot that slid out of the window
	}
	w.newest = slot
	w.slots[slot%rateSlots] += int64(n)
	if w.waited < w.window {
		return true
	}
	var sum int64
	for _, b := range w.slots {
		sum += b
	}
	// The slots span the time since the oldest one began.
	span := w.waited - time.Duration(slot-rateSlots+1)*slotLen
	return float64(sum) >= float64(w.min)*span.Seconds()
}

package dav

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// errTooManyUploads is the refusal of a PUT over Config.MaxUploads or
// Config.MaxUploadsPerUser: a load the clients make, not a server
// failure.
var errTooManyUploads = errors.New("dav: too many uploads in progress")

// uploadRetryAfter is the Retry-After of a PUT refused for want of a slot.
const uploadRetryAfter = 10 * time.Second

// refusalDrain is how long net/http may read what a refused PUT sends
// meanwhile, so that a client that sends its whole body before reading
// the answer still reads it; a slower body is cut and the connection
// closed.
const refusalDrain = time.Second

// uploadSlots bounds the PUT bodies received at once: across the server
// (max) and per principal (perPrincipal), so that one user cannot take
// every slot from the others. A zero bound is no limit. It is safe for
// concurrent use.
type uploadSlots struct {
	max, perPrincipal int
	mu                sync.Mutex     // guards total and held
	total             int            // slots taken
	held              map[string]int // slots taken by principal
}

func newUploadSlots(max, perPrincipal int) *uploadSlots {
	return &uploadSlots{max: max, perPrincipal: perPrincipal, held: map[string]int{}}
}

// take reserves a slot for principal, or fails with errTooManyUploads
// (in an *Error of status 503). release gives the slot back.
func (s *uploadSlots) take(principal string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.max > 0 && s.total >= s.max {
		return nil, slotError(fmt.Sprintf("the server is receiving as many as it takes at once (%d)", s.total))
	}
	if s.perPrincipal > 0 && s.held[principal] >= s.perPrincipal {
		return nil, slotError(fmt.Sprintf("you are sending as many as one user may at once (%d)", s.held[principal]))
	}
	s.total++
	s.held[principal]++
	var once sync.Once
	return func() { once.Do(func() { s.give(principal) }) }, nil
}

func (s *uploadSlots) give(principal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.held[principal]--; s.held[principal] == 0 {
		delete(s.held, principal)
	}
}

func slotError(why string) *Error {
	return &Error{
		Status: http.StatusServiceUnavailable,
		Err:    fmt.Errorf("%w: %s", errTooManyUploads, why),
		Public: "too many uploads in progress: " + why + "; retry when one has finished",
	}
}

// refuseUpload answers a PUT that got no slot: 503 with Retry-After,
// before its body is read. The body is read for refusalDrain at most
// (net/http reads a short one to keep the connection), never waited for.
func refuseUpload(w http.ResponseWriter, err error) (int, error) {
	w.Header().Set("Retry-After", strconv.Itoa(int(uploadRetryAfter/time.Second)))
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(refusalDrain))
	return http.StatusServiceUnavailable, err
}

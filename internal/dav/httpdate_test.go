package dav

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// TestHTTPDateMatchesTimeFormat checks the hand-written formatters against
// time.Format for times across the whole range, years outside 0 to 9999
// and other zones than UTC included.
func TestHTTPDateMatchesTimeFormat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zone := time.FixedZone("x", -5*3600-30*60)
	times := []time.Time{time.Unix(0, 0), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 3, 4, 5, 6, 7, 0, time.UTC), time.Date(2024, 2, 29, 23, 30, 0, 0, zone), {}}
	for range 10000 {
		times = append(times, time.Unix(rng.Int64N(1<<38)-(1<<37), rng.Int64N(1e9)).In(zone))
	}
	for _, tm := range times {
		if got, want := httpDate(tm), tm.UTC().Format(http.TimeFormat); got != want {
			t.Fatalf("httpDate(%v) = %q, want %q", tm, got, want)
		}
		if got, want := string(appendRFC3339(nil, tm)), tm.UTC().Format(time.RFC3339); got != want {
			t.Fatalf("appendRFC3339(%v) = %q, want %q", tm, got, want)
		}
	}
}

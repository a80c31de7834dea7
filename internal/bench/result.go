package bench

import (
	"encoding/json"
	"fmt"
	"time"
)

// Result is what one run of one scenario measured.
type Result struct {
	Scenario   string        // the scenario's name
	URL        string        // the server's URL
	Clients    int           // concurrent clients
	Elapsed    time.Duration // from the first request to the end of the last
	Ops        int64         // successful operations
	Errors     int64         // failed operations
	Bytes      int64         // body bytes sent and received by successful operations
	OpsPerSec  float64       // Ops per second of Elapsed
	MBPerSec   float64       // Bytes in 10⁶ bytes per second of Elapsed
	P50, P99   time.Duration // latency percentiles of successful operations
	FirstError string        // the first error's message, if any
}

// String formats r as the one line davbench prints per scenario.
func (r Result) String() string {
	s := fmt.Sprintf("%-13s c=%-3d %6.2fs %9d ops %10.1f ops/s %9.2f MB/s  p50 %-9s p99 %-9s errors %d  bytes %d",
		r.Scenario, r.Clients, r.Elapsed.Seconds(), r.Ops, r.OpsPerSec, r.MBPerSec,
		fmtLatency(r.P50), fmtLatency(r.P99), r.Errors, r.Bytes)
	if r.FirstError != "" {
		s += "  first error: " + r.FirstError
	}
	return s
}

// fmtLatency prints d with three significant digits in a unit that suits
// it: 512µs, 1.25ms, 2.50s.
func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// resultJSON is Result's JSON form: durations in milliseconds and seconds
// with their unit in the name, so any tool reads them.
type resultJSON struct {
	Scenario   string  `json:"scenario"`
	URL        string  `json:"url"`
	Clients    int     `json:"clients"`
	Seconds    float64 `json:"seconds"`
	Ops        int64   `json:"ops"`
	Errors     int64   `json:"errors"`
	Bytes      int64   `json:"bytes"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

// MarshalJSON encodes r with durations as numbers of milliseconds
// (latencies) and seconds (the run).
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{
		Scenario: r.Scenario, URL: r.URL, Clients: r.Clients, Seconds: r.Elapsed.Seconds(),
		Ops: r.Ops, Errors: r.Errors, Bytes: r.Bytes, OpsPerSec: r.OpsPerSec, MBPerSec: r.MBPerSec,
		P50Ms: ms(r.P50), P99Ms: ms(r.P99), FirstError: r.FirstError,
	})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Result{
		Scenario: j.Scenario, URL: j.URL, Clients: j.Clients,
		Elapsed: time.Duration(j.Seconds * float64(time.Second)),
		Ops:     j.Ops, Errors: j.Errors, Bytes: j.Bytes, OpsPerSec: j.OpsPerSec, MBPerSec: j.MBPerSec,
		P50: time.Duration(j.P50Ms * float64(time.Millisecond)), P99: time.Duration(j.P99Ms * float64(time.Millisecond)),
		FirstError: j.FirstError,
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

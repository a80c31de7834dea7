package bench

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestResultString(t *testing.T) {
	r := Result{Scenario: "proppatch", Clients: 16, Elapsed: 5 * time.Second, Ops: 10000, Errors: 1,
		Bytes: 5_000_000, OpsPerSec: 2000, MBPerSec: 1, P50: 1250 * time.Microsecond, P99: 12 * time.Millisecond,
		FirstError: "PROPPATCH /x: 424"}
	got := r.String()
	for _, want := range []string{"proppatch", "c=16", "5.00s", "10000 ops", "2000.0 ops/s", "1.00 MB/s",
		"p50 1.25ms", "p99 12.00ms", "errors 1", "bytes 5000000", "first error: PROPPATCH /x: 424"} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %q, want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "\n") {
		t.Errorf("String() = %q spans lines", got)
	}
}

func TestFmtLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		512 * time.Microsecond:  "512µs",
		1250 * time.Microsecond: "1.25ms",
		2500 * time.Millisecond: "2.50s",
	} {
		if got := fmtLatency(d); got != want {
			t.Errorf("fmtLatency(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestResultJSON(t *testing.T) {
	r := Result{Scenario: "get-large", URL: "http://127.0.0.1:1/", Clients: 1, Elapsed: 1500 * time.Millisecond,
		Ops: 3, Bytes: 3 << 30, OpsPerSec: 2, MBPerSec: 2147.48, P50: 500 * time.Millisecond, P99: 750 * time.Millisecond}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"scenario":"get-large"`, `"seconds":1.5`, `"p50_ms":500`, `"p99_ms":750`, `"errors":0`, `"ops_per_sec":2`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), "first_error") {
		t.Errorf("JSON %s has first_error without an error", b)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != r {
		t.Errorf("round trip: got %+v, want %+v", back, r)
	}
}

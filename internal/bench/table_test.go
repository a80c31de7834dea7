package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestComparisonRows(t *testing.T) {
	run := func(ops float64, p99ms int, errs int64) Result {
		return Result{Clients: 16, Ops: int64(ops), OpsPerSec: ops, MBPerSec: ops / 100, P99: time.Duration(p99ms) * time.Millisecond, Errors: errs}
	}
	c := &Comparison{
		Rounds:    3,
		Scenarios: []string{"proppatch", "get-small", "lock-unlock"},
		Results: map[string][nSides][]Result{
			"proppatch": {{run(3000, 9, 0), run(1000, 30, 0), run(2500, 10, 0)}, {run(1000, 12, 0), run(1200, 11, 0), run(900, 40, 0)},
				{run(5000, 2, 0), run(5000, 2, 0), run(5000, 2, 0)}},
			"get-small": {{run(900, 1, 0), run(800, 1, 0), run(1000, 1, 0)}, {run(1000, 1, 0), run(1000, 1, 0), run(1000, 1, 0)}},
			"lock-unlock": {{run(100, 1, 0), run(100, 1, 0), run(100, 1, 0)},
				{run(50, 1, 7), {Clients: 16, OpsPerSec: 50, Errors: 1, FirstError: "LOCK /x: 423"}, run(50, 1, 0)}},
		},
		Config: Config{Duration: time.Second}.withDefaults(),
		CPU: map[string][nSides][]time.Duration{
			"proppatch": {{3 * time.Second, time.Second, 2500 * time.Millisecond}, {time.Second, 1200 * time.Millisecond, 900 * time.Millisecond},
				{300 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}},
		},
	}
	rows := c.Rows()
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	pp := rows[0]
	if pp.OpsPerSec != [nSides]float64{2500, 1000, 5000} || pp.Ratio != 2.5 || !pp.Met() || pp.StubRatio != 0.5 {
		t.Errorf("proppatch medians %v ratio %v met %v stub ratio %v; want [2500 1000 5000], 2.5, met, 0.5", pp.OpsPerSec, pp.Ratio, pp.Met(), pp.StubRatio)
	}
	if pp.P99 != [nSides]time.Duration{10 * time.Millisecond, 12 * time.Millisecond, 2 * time.Millisecond} {
		t.Errorf("proppatch p99 medians %v, want [10ms 12ms 2ms]", pp.P99)
	}
	// Every run of proppatch took 1 s of server CPU per 1000 ops/s: 1 ms
	// an operation; the stub's 300 ms per 5000 ops is 60 µs.
	if pp.CPUPerOp != [nSides]time.Duration{time.Millisecond, time.Millisecond, 60 * time.Microsecond} {
		t.Errorf("proppatch CPU/op %v, want [1ms 1ms 60µs]", pp.CPUPerOp)
	}
	if pp.CPUTarget != 100*time.Microsecond || pp.CPUMet() {
		t.Errorf("proppatch CPU target %v met %v; want 100µs, missed", pp.CPUTarget, pp.CPUMet())
	}
	if rows[1].CPUPerOp != [nSides]time.Duration{} {
		t.Errorf("get-small CPU/op %v without CPU times, want unknown", rows[1].CPUPerOp)
	}
	if gs := rows[1]; gs.Ratio != 0.9 || gs.Met() {
		t.Errorf("get-small ratio %v met %v; want 0.9, missed", gs.Ratio, gs.Met())
	}
	if lu := rows[2]; lu.Errors != [nSides]int64{0, 8, 0} || lu.Ran[SideStub] {
		t.Errorf("lock-unlock errors %v, want [0 8]", lu.Errors)
	}
	var b strings.Builder
	c.Markdown(&b)
	md := b.String()
	for _, want := range []string{
		"| scenario | clients | atomdav CPU/op |",
		"| proppatch | 16 | **1.00ms** | 1.00ms | 60µs | ≤ 100µs ❌ | 1.00 | 16.67 |",
		"| get-small | 16 | **?** | ? | – | ≤ 38µs ❌ | – | – |",
		"| proppatch | 2500.0 | 1000.0 | 5000.0 | **2.50** ✅ | ≥ 2.0 | 0.50 | 10.00ms | 12.00ms | 2.00ms | 25.0 | 10.0 | 50.0 | 0 / 0 / 0 |",
		"**0.90** ❌",
		"| lock-unlock | 100.0 | 50.0 | – |",
		"| 0 / 8 |",
		"proppatch p99: atomdav 10.00ms, Apache 12.00ms — target p99 ≤ Apache's: met.",
		"lock-unlock: Apache failed 8 operations",
		"first: LOCK /x: 423",
		"Durability:",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if err := c.Check(); err != nil {
		t.Errorf("Check = %v with errors on Apache's side only", err)
	}
	res := c.Results["get-small"]
	res[SideAtomdav][1].Errors = 1
	c.Results["get-small"] = res
	if err := c.Check(); !errors.Is(err, ErrErrors) {
		t.Errorf("Check = %v with an atomdav error, want ErrErrors", err)
	}
}

// TestNotesNameExtraFlags: a run with extra atomdav flags (a relaxed
// durability run) says so beside the durability note, which describes the
// defaults; a run without says nothing of the kind.
func TestNotesNameExtraFlags(t *testing.T) {
	for _, args := range [][]string{nil, {"--durability", "relaxed"}} {
		c := &Comparison{Config: Config{Duration: time.Second}.withDefaults(), AtomdavArgs: args}
		var b strings.Builder
		c.notes(&b)
		said := strings.Contains(b.String(), "extra flags `--durability relaxed`")
		if said != (args != nil) {
			t.Errorf("AtomdavArgs %q: notes name the flags = %v:\n%s", args, said, b.String())
		}
	}
}

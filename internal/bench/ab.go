package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ABConfig says which two atomdav binaries AB measures against each other.
type ABConfig struct {
	Base, New   string   // the binaries: the one before a change and the one after
	AtomdavArgs []string // extra `atomdav serve` flags, for both
	Dir         string   // where the temporary folder goes; "": os.TempDir()
	Rounds      int      // runs of each scenario on each binary, alternating; at least 1
	Scenarios   []string
	Bench       Config // duration, sizes and clients of every run; its URL is ignored
	NoSync      bool   // skip the sync(2) before each run
	Log         io.Writer
}

// ABResult is what AB measured: for each scenario, each binary's server
// CPU time per operation in each round, Base first.
type ABResult struct {
	Scenarios []string
	PerOp     map[string][2][]time.Duration
}

// AB measures a change by server CPU per operation, the figure issue 15
// set targets on: it starts both binaries (--anonymous, durable defaults)
// on loopback with their shares in one temporary folder and runs each
// scenario on them in alternation for Rounds rounds, Base first, as
// Compare does with Apache. The machine's load then weighs on both alike,
// which a run of each at different times cannot promise.
func AB(ctx context.Context, cfg ABConfig) (*ABResult, error) {
	if cfg.Base == "" || cfg.New == "" {
		return nil, fmt.Errorf("%w: AB needs two binaries", ErrConfig)
	}
	cfg.Rounds = max(cfg.Rounds, 1)
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	cfg.Bench.URL = "http://placeholder/"
	if err := cfg.Bench.Validate(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cfg.Dir, "davbench-ab-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(tmp)
	var sv [nSides]*server
	defer func() {
		for _, s := range sv {
			if s != nil {
				s.stop()
			}
		}
	}()
	for i, side := range [...]struct{ name, bin string }{{"base", cfg.Base}, {"new", cfg.New}} {
		if sv[i], err = startBinary(ctx, side.name, side.bin, cfg.AtomdavArgs, filepath.Join(tmp, side.name)); err != nil {
			return nil, err
		}
	}
	var benches [nSides]*Bench
	for i, s := range sv[:2] {
		c := cfg.Bench
		c.URL = s.url
		if benches[i], err = New(c); err != nil {
			return nil, err
		}
		defer benches[i].Close(context.WithoutCancel(ctx))
	}
	cc := CompareConfig{Rounds: cfg.Rounds, NoSync: cfg.NoSync, Log: cfg.Log}
	res := &ABResult{Scenarios: cfg.Scenarios, PerOp: map[string][2][]time.Duration{}}
	for _, name := range cfg.Scenarios {
		runs, cpu, err := compareOne(ctx, cc, sv, benches, name)
		if err != nil {
			return res, err
		}
		var per [2][]time.Duration
		for i := range per {
			if len(cpu[i]) != len(runs[i]) {
				return res, errors.New("bench: AB needs the servers' CPU time (/proc, Linux)")
			}
			for r, run := range runs[i] {
				per[i] = append(per[i], perOp(cpu[i][r], run.Ops))
			}
		}
		res.PerOp[name] = per
	}
	return res, nil
}

// startBinary starts an atomdav binary serving a new folder under dir.
func startBinary(ctx context.Context, name, bin string, args []string, dir string) (*server, error) {
	files := filepath.Join(dir, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return startServer(ctx, name, filepath.Join(dir, "atomdav.log"), func(addr string) (*exec.Cmd, error) {
		a := append([]string{"serve", files, "--addr", addr, "--anonymous", "--log-level", "warn"}, args...)
		return exec.CommandContext(ctx, bin, a...), nil
	})
}

// perOp is cpu spread over ops operations; 0 for none.
func perOp(cpu time.Duration, ops int64) time.Duration {
	if ops <= 0 {
		return 0
	}
	return cpu / time.Duration(ops)
}

// Markdown writes one row per scenario: each binary's median server CPU
// per operation, their ratio (new/base: below 1 is a saving), and every
// round's figures, so that a reader sees how far the rounds agree.
func (r *ABResult) Markdown(w io.Writer) {
	fmt.Fprintln(w, "| scenario | base µs/op | new µs/op | new/base | rounds base | rounds new |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, name := range r.Scenarios {
		per, ok := r.PerOp[name]
		if !ok {
			continue
		}
		b, n := medianMicros(per[0]), medianMicros(per[1])
		ratio := "–"
		if b > 0 {
			ratio = fmt.Sprintf("%.2f", n/b)
		}
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %s | %s | %s |\n", name, b, n, ratio, micros(per[0]), micros(per[1]))
	}
}

func medianMicros(ds []time.Duration) float64 {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d) / float64(time.Microsecond)
	}
	return Median(xs)
}

func micros(ds []time.Duration) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond))
	}
	return s
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/atomdav/atomdav/internal/bench"
)

// runAB is `davbench ab`: two atomdav binaries, by server CPU per
// operation.
func runAB(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("davbench ab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.ABConfig
	scenario := fs.String("scenario", "all", "scenarios to measure, comma-separated, or all")
	atomdavArgs := fs.String("atomdav-args", "", "extra `atomdav serve` flags for both, space-separated")
	fs.StringVar(&cfg.Base, "base", "", "the atomdav binary before the change (required)")
	fs.StringVar(&cfg.New, "new", "", "the atomdav binary after the change (required)")
	fs.StringVar(&cfg.Dir, "dir", "", "folder for both shares, on the disk to measure (default: the system temp folder)")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "alternating rounds per scenario")
	fs.IntVar(&cfg.Bench.Clients, "c", 0, "concurrent clients (0: each scenario's default)")
	fs.DurationVar(&cfg.Bench.Duration, "d", 5*time.Second, "how long each run lasts")
	sizeFlags(fs, &cfg.Bench)
	fs.BoolVar(&cfg.NoSync, "no-sync", false, "skip the sync(2) before each run")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: davbench ab -base BIN -new BIN [flags]

Measures a change: starts the two atomdav binaries (--anonymous, durable
defaults) on loopback ports with their shares in one temporary folder, runs
every scenario on each in alternation for -rounds rounds, base first, and
prints a Markdown table of each binary's server CPU time per operation
(median and every round) and their ratio, new/base: below 1 is a saving.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	names, err := scenarioList(*scenario)
	if err == nil && (fs.NArg() > 0 || cfg.Base == "" || cfg.New == "") {
		err = errors.New("-base and -new are required and ab takes no arguments")
	}
	if err != nil {
		fmt.Fprintln(stderr, "davbench ab:", err)
		return exitUsage
	}
	cfg.Scenarios = names
	cfg.AtomdavArgs = strings.Fields(*atomdavArgs)
	cfg.Log = stderr
	if isTerminal(stderr) {
		cfg.Bench.Progress = stderr
	}
	res, err := bench.AB(ctx, cfg)
	if res != nil {
		fmt.Fprintln(stdout)
		res.Markdown(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "davbench ab:", err)
		return exitFailed
	}
	return 0
}

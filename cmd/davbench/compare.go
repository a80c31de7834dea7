package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/atomdav/atomdav/internal/bench"
)

// runCompare is `davbench compare`: atomdav against Apache mod_dav and
// the in-memory stub.
func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("davbench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cc bench.CompareConfig
	scenario := fs.String("scenario", "all", "scenarios to compare, comma-separated, or all")
	atomdavArgs := fs.String("atomdav-args", "", "extra `atomdav serve` flags, space-separated")
	fs.StringVar(&cc.Atomdav, "atomdav", "bin/atomdav", "the atomdav binary")
	fs.StringVar(&cc.Apache, "apache", "", "the apache2 binary (default: apache2 on PATH, else "+bench.DebianApache+")")
	self, _ := os.Executable()
	fs.StringVar(&cc.Stub, "stub", self, "the davbench binary that serves the in-memory stub (`davbench stub`); empty for no stub column")
	fs.StringVar(&cc.Modules, "apache-modules", bench.DebianModules, "Apache's modules folder")
	fs.StringVar(&cc.Dir, "dir", "", "folder for both shares, on the disk to measure (default: the system temp folder)")
	fs.IntVar(&cc.Rounds, "rounds", 3, "alternating rounds per scenario")
	fs.IntVar(&cc.Bench.Clients, "c", 0, "concurrent clients (0: each scenario's default)")
	fs.DurationVar(&cc.Bench.Duration, "d", 10*time.Second, "how long each run lasts")
	sizeFlags(fs, &cc.Bench)
	fs.BoolVar(&cc.NoSync, "no-sync", false, "skip the sync(2) before each run")
	fs.BoolVar(&cc.Keep, "keep", false, "keep the temporary folder (shares, logs, Apache's config)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: davbench compare [flags]

Starts Apache httpd (mod_dav, mod_dav_fs; Debian package apache2) and atomdav
(--anonymous, durable defaults) on loopback ports with their shares in one
temporary folder, and the in-memory stub (davbench stub: the net/http
floor), runs every scenario on each in alternation for -rounds rounds, and
prints Markdown tables of the medians: each server's CPU time per
operation against issue 15's targets, then throughput and its ratios.

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
	if err != nil || fs.NArg() > 0 {
		if err == nil {
			err = errors.New("compare takes no arguments")
		}
		fmt.Fprintln(stderr, "davbench compare:", err)
		return exitUsage
	}
	cc.Scenarios = names
	cc.AtomdavArgs = strings.Fields(*atomdavArgs)
	cc.Log = stderr
	if isTerminal(stderr) {
		cc.Bench.Progress = stderr
	}
	cmp, err := bench.Compare(ctx, cc)
	if cmp != nil {
		fmt.Fprintln(stdout)
		cmp.Markdown(stdout)
	}
	if err == nil && cmp != nil {
		err = cmp.Check()
	}
	if err != nil {
		fmt.Fprintln(stderr, "davbench compare:", err)
		if errors.Is(err, bench.ErrNoApache) {
			return exitUsage
		}
		return exitFailed
	}
	return 0
}

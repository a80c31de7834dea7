package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/atomdav/atomdav/internal/bench"
)

// Exit codes: 1 when a scenario failed or reported errors, 2 for bad usage.
const (
	exitFailed = 1
	exitUsage  = 2
)

// run is davbench without the process around it: it parses args, runs and
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "compare" {
		return runCompare(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "ab" {
		return runAB(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "stub" {
		return runStub(ctx, args[1:], stderr)
	}
	fs := flag.NewFlagSet("davbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.Config
	scenario := fs.String("scenario", "all", "scenario to run, or all")
	asJSON := fs.Bool("json", false, "print one JSON object per scenario instead of a line of text")
	fs.StringVar(&cfg.URL, "url", "", "URL of the share (required), e.g. http://127.0.0.1:8080/")
	fs.StringVar(&cfg.User, "user", "", "Basic auth user")
	fs.StringVar(&cfg.Pass, "pass", "", "Basic auth password")
	fs.IntVar(&cfg.Clients, "c", 0, "concurrent clients (0: each scenario's default)")
	fs.DurationVar(&cfg.Duration, "d", 10*time.Second, "how long each scenario runs")
	sizeFlags(fs, &cfg)
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the fixtures on the server")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	names, err := scenarioList(*scenario)
	if err != nil || fs.NArg() > 0 || cfg.URL == "" {
		if err == nil {
			err = errors.New("-url is required and takes no arguments")
		}
		fmt.Fprintln(stderr, "davbench:", err)
		return exitUsage
	}
	if isTerminal(stderr) {
		cfg.Progress = stderr
	}
	b, err := bench.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "davbench:", err)
		return exitUsage
	}
	code := 0
	for _, name := range names {
		r, err := b.RunScenario(ctx, name)
		if err != nil {
			fmt.Fprintf(stderr, "davbench: %s: %v\n", name, err)
			code = exitFailed
			if ctx.Err() != nil || r.Scenario == "" {
				break
			}
		}
		if r.Errors > 0 {
			code = exitFailed
		}
		if *asJSON {
			line, _ := json.Marshal(r)
			fmt.Fprintf(stdout, "%s\n", line)
		} else {
			fmt.Fprintln(stdout, r)
		}
	}
	if err := b.Close(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintln(stderr, "davbench: removing the fixtures:", err)
	}
	return code
}

// sizeFlags adds the flags that shrink or grow the fixtures.
func sizeFlags(fs *flag.FlagSet, cfg *bench.Config) {
	cfg.LargeSize, cfg.PutLargeSize = bench.DefaultLargeSize, bench.DefaultPutLargeSize
	fs.Var((*byteSize)(&cfg.LargeSize), "large-size", "size of get-large's file")
	fs.Var((*byteSize)(&cfg.PutLargeSize), "put-large-size", "size of put-large's upload")
	fs.IntVar(&cfg.Files, "files", bench.DefaultFiles, "files in propfind-d1's folder")
	fs.IntVar(&cfg.SmallFiles, "small-files", bench.DefaultSmallFiles, "files get-small reads among")
	fs.Int64Var(&cfg.MaxOps, "n", bench.DefaultMaxOps, "most operations one scenario starts")
	fs.DurationVar(&cfg.Timeout, "timeout", bench.DefaultTimeout, "longest one request may take")
}

// scenarioList expands "all" and checks the names of a comma-separated list.
func scenarioList(s string) ([]string, error) {
	if s == "all" {
		return bench.Scenarios(), nil
	}
	names := strings.Split(s, ",")
	for _, n := range names {
		if _, _, ok := bench.Describe(n); !ok {
			return nil, fmt.Errorf("unknown scenario %q (known: all, %s)", n, strings.Join(bench.Scenarios(), ", "))
		}
	}
	return names, nil
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: davbench -url URL [-scenario NAME|all] [-c N] [-d DURATION] [-json] [-user U -pass P]
       davbench compare [flags]   (atomdav against Apache mod_dav and the stub; davbench compare -h)
       davbench ab -base BIN -new BIN [flags]   (two atomdav binaries by server CPU per operation; davbench ab -h)
       davbench stub [-addr A]    (an in-memory WebDAV server: the net/http floor)

Creates its fixtures through the server (MKCOL, PUT, PROPPATCH) in a fresh
folder under URL, deletes them afterwards, and prints per scenario: ops/s,
MB/s (10^6 bytes of request and response bodies), p50/p99 latency of the
successful operations, errors and bytes. Exits 1 if any operation failed.

scenarios (default clients):
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, n := range bench.Scenarios() {
		about, c, _ := bench.Describe(n)
		fmt.Fprintf(tw, "  %s\t(%d)\t%s\n", n, c, about)
	}
	about, c, _ := bench.Describe("put-chunked")
	fmt.Fprintf(tw, "  %s\t(%d)\t%s\n", "put-chunked", c, about)
	tw.Flush()
	fmt.Fprintln(w, "\nflags:")
	fs.PrintDefaults()
}

// isTerminal reports whether w is a terminal, where a progress line helps.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

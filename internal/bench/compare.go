package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// CompareConfig says how to compare atomdav with Apache httpd's mod_dav.
type CompareConfig struct {
	Atomdav     string   // the atomdav binary (required)
	AtomdavArgs []string // extra `atomdav serve` flags
	Apache      string   // the apache2 binary; "": apache2 on PATH, else DebianApache
	Modules     string   // Apache's modules folder; "": DebianModules
	// Stub is the davbench binary whose `davbench stub` subcommand serves
	// the in-memory share measured as the net/http floor; "": no stub.
	Stub      string
	Dir       string   // where the temporary folder goes; "": os.TempDir(). Both shares live in it, on one disk.
	Rounds    int      // runs of each scenario on each server, alternating; at least 1
	Scenarios []string // "": every scenario
	Bench     Config   // duration, sizes and clients of every run; its URL is ignored
	NoSync    bool     // skip the sync(2) before each run that keeps one server's writeback out of the other's run
	Keep      bool     // keep the temporary folder
	Log       io.Writer
}

// Targets are issue 7's goals: the least atomdav/Apache ratio of median
// ops/s per scenario.
var Targets = map[string]float64{
	"proppatch": 2.0, "propfind-d1": 1.5, "propfind-dead": 1.5, "lock-unlock": 1.0,
	"get-small": 1.0, "put-small": 1.0, "get-large": 1.0, "put-large": 1.0, "mixed": 1.0,
}

// CPUTargets are issue 15's goals: the most server CPU time per
// operation atomdav may take, with the durable defaults. get-large's is
// per GiB, scaled to the file's size by Comparison.CPUTarget.
var CPUTargets = map[string]time.Duration{
	"get-small": 38 * time.Microsecond, "propfind-dead": 55 * time.Microsecond,
	"proppatch": 100 * time.Microsecond, "lock-unlock": 100 * time.Microsecond,
	"put-small": 150 * time.Microsecond, "mixed": 150 * time.Microsecond,
	"propfind-d1": 45 * time.Millisecond, "get-large": 140 * time.Millisecond,
}

// The sides of a comparison, in the order each round runs them.
const (
	SideAtomdav = iota
	SideApache
	SideStub
	nSides
)

// sideNames are the sides' names in tables and logs.
var sideNames = [nSides]string{"atomdav", "Apache", "stub"}

// Comparison is what Compare measured.
type Comparison struct {
	Rounds    int
	Scenarios []string
	Results   map[string][nSides][]Result // per scenario, per side, one per round; none for a side not run
	// CPU is the CPU time each server process (with Apache's workers) used
	// during each run; empty where /proc cannot tell.
	CPU     map[string][nSides][]time.Duration
	Machine Machine
	Config  Config
	// AtomdavArgs are the extra `atomdav serve` flags the run used; the
	// notes name them, since they may change what atomdav promises.
	AtomdavArgs []string
}

// Compare starts Apache httpd (mod_dav, mod_dav_fs) and atomdav on loopback
// ports with their shares side by side in one temporary folder, then, per
// scenario, creates its fixtures on both and runs it on each in turn —
// atomdav, Apache, atomdav, Apache… — for cc.Rounds rounds.
func Compare(ctx context.Context, cc CompareConfig) (*Comparison, error) {
	if cc.Atomdav == "" {
		return nil, fmt.Errorf("%w: no atomdav binary", ErrConfig)
	}
	apache, err := findApache(cc.Apache)
	if err != nil {
		return nil, err
	}
	if cc.Modules == "" {
		cc.Modules = DebianModules
	}
	if cc.Rounds < 1 {
		cc.Rounds = 1
	}
	if len(cc.Scenarios) == 0 {
		cc.Scenarios = Scenarios()
	}
	if cc.Log == nil {
		cc.Log = io.Discard
	}
	cc.Bench.URL = "http://placeholder/"
	if err := cc.Bench.Validate(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cc.Dir, "davbench-compare-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if !cc.Keep {
		defer os.RemoveAll(tmp)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // Apache's workers may run as another user
		return nil, fmt.Errorf("bench: %w", err)
	}
	var sv [nSides]*server
	defer func() {
		for _, s := range sv {
			if s != nil {
				s.stop()
			}
		}
	}()
	if sv[SideAtomdav], err = startAtomdav(ctx, cc, tmp); err != nil {
		return nil, err
	}
	if sv[SideApache], err = startApache(ctx, apache, cc.Modules, tmp); err != nil {
		return nil, err
	}
	if cc.Stub != "" {
		if sv[SideStub], err = startStub(ctx, cc.Stub, tmp); err != nil {
			return nil, err
		}
	}
	cmp := &Comparison{Rounds: cc.Rounds, Scenarios: cc.Scenarios, Results: map[string][nSides][]Result{}, CPU: map[string][nSides][]time.Duration{},
		Machine: describeMachine(tmp, cc.Atomdav, apache), Config: cc.Bench.withDefaults(), AtomdavArgs: cc.AtomdavArgs}
	for _, s := range sv {
		if s != nil {
			fmt.Fprintf(cc.Log, "%s at %s\n", s.name, s.url)
		}
	}
	fmt.Fprintf(cc.Log, "in %s\n", tmp)
	var benches [nSides]*Bench
	for i, s := range sv {
		if s == nil {
			continue
		}
		cfg := cc.Bench
		cfg.URL = s.url
		if benches[i], err = New(cfg); err != nil {
			return nil, err
		}
		defer benches[i].Close(context.WithoutCancel(ctx))
	}
	for _, name := range cc.Scenarios {
		res, cpu, err := compareOne(ctx, cc, sv, benches, name)
		cmp.Results[name], cmp.CPU[name] = res, cpu
		if err != nil {
			return cmp, err
		}
	}
	return cmp, nil
}

// compareOne prepares one scenario on both servers and runs it round by
// round, atomdav first, measuring each server's CPU time during each run.
func compareOne(ctx context.Context, cc CompareConfig, sv [nSides]*server, benches [nSides]*Bench, name string) (res [nSides][]Result, cpu [nSides][]time.Duration, err error) {
	var prep [nSides]*Prepared
	defer func() {
		for _, p := range prep {
			if p != nil {
				p.Cleanup(context.WithoutCancel(ctx))
			}
		}
	}()
	for i, b := range benches {
		if b == nil {
			continue
		}
		t0 := time.Now()
		p, err := b.Prepare(ctx, name)
		if err != nil {
			return res, cpu, fmt.Errorf("%s: %w", sv[i].name, err)
		}
		prep[i] = p
		fmt.Fprintf(cc.Log, "%s: fixtures on %s in %.1fs\n", name, sv[i].name, time.Since(t0).Seconds())
	}
	for round := range cc.Rounds {
		for i, p := range prep {
			if p == nil {
				continue
			}
			if !cc.NoSync {
				syncDisks()
			}
			c0, ok0 := processCPU(sv[i].cmd.Process.Pid)
			r, err := p.Run(ctx)
			c1, ok1 := processCPU(sv[i].cmd.Process.Pid)
			res[i] = append(res[i], r)
			if ok0 && ok1 {
				cpu[i] = append(cpu[i], c1-c0)
			}
			fmt.Fprintf(cc.Log, "round %d %-7s %s\n", round+1, sv[i].name, r)
			if err != nil {
				return res, cpu, err
			}
			if gone, werr := sv[i].exited(); gone {
				return res, cpu, fmt.Errorf("bench: %s exited during %s: %v\n%s", sv[i].name, name, werr, sv[i].output())
			}
		}
	}
	return res, cpu, nil
}

func startAtomdav(ctx context.Context, cc CompareConfig, tmp string) (*server, error) {
	dir := filepath.Join(tmp, "atomdav")
	files := filepath.Join(dir, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return startServer(ctx, "atomdav", filepath.Join(dir, "atomdav.log"), func(addr string) (*exec.Cmd, error) {
		args := append([]string{"serve", files, "--addr", addr, "--anonymous", "--log-level", "warn"}, cc.AtomdavArgs...)
		return exec.CommandContext(ctx, cc.Atomdav, args...), nil
	})
}

// startStub starts `davbench stub` in a process of its own, so /proc tells its
// CPU time apart from the client's.
func startStub(ctx context.Context, bin, tmp string) (*server, error) {
	return startServer(ctx, "stub", filepath.Join(tmp, "stub.log"), func(addr string) (*exec.Cmd, error) {
		return exec.CommandContext(ctx, bin, "stub", "-addr", addr), nil
	})
}

func startApache(ctx context.Context, bin, modules, tmp string) (*server, error) {
	root := filepath.Join(tmp, "apache")
	owner := -1
	var lay ApacheLayout
	return startServer(ctx, "apache", filepath.Join(root, "stderr.log"), func(addr string) (*exec.Cmd, error) {
		lay = NewApacheLayout(root, modules, addr)
		if os.Geteuid() == 0 {
			// Started as root, Apache serves as an unprivileged user, who
			// must own the share and the lock database.
			if u, err := user.Lookup("www-data"); err == nil {
				lay.User = u.Username
				owner, _ = strconv.Atoi(u.Uid)
			}
		}
		for _, d := range lay.Dirs() {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, fmt.Errorf("bench: %w", err)
			}
			if owner >= 0 {
				if err := os.Chown(d, owner, -1); err != nil {
					return nil, fmt.Errorf("bench: %w", err)
				}
			}
		}
		conf := filepath.Join(root, "httpd.conf")
		if err := os.WriteFile(conf, lay.Conf(), 0o644); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		cmd := exec.CommandContext(ctx, bin, "-f", conf, "-DFOREGROUND")
		cmd.Env = append(os.Environ(), lay.Env()...)
		return cmd, nil
	})
}

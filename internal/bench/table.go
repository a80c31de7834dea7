package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Row is one scenario's line of a comparison: medians over the rounds,
// per side (SideAtomdav, SideApache, SideStub).
type Row struct {
	Scenario      string
	Clients       int
	Ran           [nSides]bool // the side ran the scenario
	OpsPerSec     [nSides]float64
	MBPerSec      [nSides]float64
	P99           [nSides]time.Duration // median of the rounds' p99
	CPUPerOp      [nSides]time.Duration // median of the rounds' server CPU time per operation; 0 if unknown
	Errors        [nSides]int64         // total over the rounds
	Ratio, Target float64               // atomdav ÷ Apache median ops/s; issue 7's goal
	StubRatio     float64               // atomdav ÷ stub median ops/s; 0 without the stub
	CPUTarget     time.Duration         // issue 15's most CPU per operation; 0 for none
}

// Met reports whether the row reaches its throughput target.
func (r Row) Met() bool { return r.Ratio >= r.Target }

// CPUMet reports whether atomdav's CPU per operation is within its target.
func (r Row) CPUMet() bool {
	return r.CPUPerOp[SideAtomdav] > 0 && r.CPUPerOp[SideAtomdav] <= r.CPUTarget
}

// CPUTarget returns the scenario's CPU target per operation for the
// comparison's sizes (get-large's scales with the file), or 0 for none.
func (c *Comparison) CPUTarget(name string) time.Duration {
	t := CPUTargets[name]
	if name == "get-large" && c.Config.LargeSize > 0 {
		t = time.Duration(float64(t) * float64(c.Config.LargeSize) / (1 << 30))
	}
	return t
}

// Rows folds the rounds into one Row per scenario that atomdav and Apache
// both ran.
func (c *Comparison) Rows() []Row {
	var rows []Row
	for _, name := range c.Scenarios {
		res, ok := c.Results[name]
		if !ok || len(res[SideAtomdav]) == 0 || len(res[SideApache]) == 0 {
			continue
		}
		row := Row{Scenario: name, Clients: res[SideAtomdav][0].Clients, Target: Targets[name], CPUTarget: c.CPUTarget(name)}
		for side, rs := range res {
			row.Ran[side] = len(rs) > 0
			var ops, mb, p99, cpu []float64
			for i, r := range rs {
				ops = append(ops, r.OpsPerSec)
				mb = append(mb, r.MBPerSec)
				p99 = append(p99, float64(r.P99))
				row.Errors[side] += r.Errors
				if t := c.CPU[name][side]; i < len(t) && r.Ops > 0 {
					cpu = append(cpu, float64(t[i])/float64(r.Ops))
				}
			}
			row.OpsPerSec[side], row.MBPerSec[side] = Median(ops), Median(mb)
			row.P99[side] = time.Duration(Median(p99))
			row.CPUPerOp[side] = time.Duration(Median(cpu))
		}
		row.Ratio = ratio(row.OpsPerSec[SideAtomdav], row.OpsPerSec[SideApache])
		row.StubRatio = ratio(row.OpsPerSec[SideAtomdav], row.OpsPerSec[SideStub])
		rows = append(rows, row)
	}
	return rows
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Markdown writes the comparison as two Markdown tables — server CPU per
// operation, the primary figure, then throughput — with the machine, the
// settings and the notes a reader needs to trust them.
func (c *Comparison) Markdown(w io.Writer) {
	rows := c.Rows()
	fmt.Fprintf(w, "Medians of %d alternating rounds (atomdav, Apache, stub, atomdav, …) of %v per scenario.\n\n", c.Rounds, c.Config.Duration)
	c.cpuTable(w, rows)
	fmt.Fprintln(w)
	c.throughputTable(w, rows)
	for _, r := range rows {
		if r.Scenario == "proppatch" {
			fmt.Fprintf(w, "\nproppatch p99: atomdav %s, Apache %s — target p99 ≤ Apache's: %s.\n",
				fmtLatency(r.P99[0]), fmtLatency(r.P99[1]), metWord(r.P99[0] <= r.P99[1]))
		}
	}
	for _, r := range rows {
		fe := c.firstErrors(r.Scenario)
		for side, who := range sideNames {
			if r.Errors[side] > 0 {
				fmt.Fprintf(w, "\n%s: %s failed %d operations (ops/s counts only the successful ones); first: %s\n",
					r.Scenario, who, r.Errors[side], fe[side])
			}
		}
		if r.Scenario == "lock-unlock" && r.Errors[SideApache] > 0 {
			fmt.Fprint(w, strings.TrimLeft(apacheLockNote, "\n"))
		}
	}
	c.notes(w)
}

// cpuTable writes server CPU time per operation, side by side, against
// issue 15's targets.
func (c *Comparison) cpuTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| scenario | clients | atomdav CPU/op | Apache CPU/op | stub CPU/op | target (atomdav) | atomdav ÷ Apache | atomdav ÷ stub |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		target := "–"
		if r.CPUTarget > 0 {
			target = "≤ " + fmtLatency(r.CPUTarget) + " " + mark(r.CPUMet())
		}
		fmt.Fprintf(w, "| %s | %d | **%s** | %s | %s | %s | %s | %s |\n", r.Scenario, r.Clients,
			fmtCPU(r.CPUPerOp[SideAtomdav]), fmtCPU(r.CPUPerOp[SideApache]), r.side(SideStub, fmtCPU(r.CPUPerOp[SideStub])),
			target, fmtRatio(r.CPUPerOp[SideAtomdav], r.CPUPerOp[SideApache]), fmtRatio(r.CPUPerOp[SideAtomdav], r.CPUPerOp[SideStub]))
	}
}

// throughputTable writes ops/s, p99 and MB/s, with issue 7's targets of
// atomdav ÷ Apache ops/s.
func (c *Comparison) throughputTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| scenario | atomdav ops/s | Apache ops/s | stub ops/s | ratio to Apache | target | ratio to stub | p99 atomdav | p99 Apache | p99 stub | MB/s atomdav | MB/s Apache | MB/s stub | errors |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %s | **%.2f** %s | ≥ %.1f | %s | %s | %s | %s | %.1f | %.1f | %s | %s |\n",
			r.Scenario, r.OpsPerSec[0], r.OpsPerSec[1], r.side(SideStub, fmt.Sprintf("%.1f", r.OpsPerSec[SideStub])),
			r.Ratio, mark(r.Met()), r.Target, r.side(SideStub, fmt.Sprintf("%.2f", r.StubRatio)),
			fmtLatency(r.P99[0]), fmtLatency(r.P99[1]), r.side(SideStub, fmtLatency(r.P99[SideStub])),
			r.MBPerSec[0], r.MBPerSec[1], r.side(SideStub, fmt.Sprintf("%.1f", r.MBPerSec[SideStub])), r.errors())
	}
}

// side returns s if the side ran the scenario, else a dash.
func (r Row) side(side int, s string) string {
	if !r.Ran[side] {
		return "–"
	}
	return s
}

// errors returns the error counts of the sides that ran, a / b / c.
func (r Row) errors() string {
	var parts []string
	for side := range nSides {
		if r.Ran[side] {
			parts = append(parts, fmt.Sprint(r.Errors[side]))
		}
	}
	return strings.Join(parts, " / ")
}

// fmtRatio prints a ÷ b, or a dash when either is unknown.
func fmtRatio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

// apacheLockNote explains Apache's lock-unlock errors.
const apacheLockNote = `
Apache's mod_dav_fs keeps every lock in one DavLockDB opened through
apr_dbm, which on Debian is Berkeley DB without locking; concurrent LOCK and
UNLOCK requests, even on distinct files, lose each other's updates (UNLOCK
answers 400 for a token it just granted, LOCK 423 for a lock already
removed). This is the known defect apache/httpd PRs #395 and #399 address
with a global mutex around the lock database; this build has neither.
`

// fmtCPU prints a CPU time per operation, or "?" when unknown.
func fmtCPU(d time.Duration) string {
	if d == 0 {
		return "?"
	}
	return fmtLatency(d)
}

func metWord(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// notes says what ran where, with which sizes, and how durable each side was.
func (c *Comparison) notes(w io.Writer) {
	cfg := c.Config
	fmt.Fprintf(w, "\nMachine: %s.\n", c.Machine)
	fmt.Fprintf(w, "Sizes: get-large %s, put-large %s, propfind-d1 folder %d files, get-small among %d files. Client and servers share the machine's CPUs; CPU/op is the server's own CPU time (user + system, Apache's workers included) per successful operation, from /proc: it moves far less than ops/s with what else the machine runs.\n",
		fmtSize(cfg.LargeSize), fmtSize(cfg.PutLargeSize), cfg.Files, cfg.SmallFiles)
	fmt.Fprintf(w, "get-large's CPU/op is per %s file; its target is issue 15's 140 ms per GiB.\n", fmtSize(cfg.LargeSize))
	fmt.Fprint(w, strings.TrimLeft(stubNote, "\n"))
	if len(c.AtomdavArgs) > 0 {
		fmt.Fprintf(w, "atomdav ran with the extra flags `%s`, which the durability note below does not account for.\n", strings.Join(c.AtomdavArgs, " "))
	}
	fmt.Fprint(w, strings.TrimLeft(durabilityNote, "\n"))
}

// stubNote says what the third column measures.
const stubNote = `
The stub is ` + "`davbench stub`" + `: a minimal WebDAV handler on net/http over a
tree in memory behind one lock (dead properties kept as text, locks in the
tree), with no disk, no fsync, no authentication, no log and no If header:
net/http's cost plus the least WebDAV work davbench's requests need. It is
not a floor for get-large, which it writes from memory with write(2) where
the others use sendfile.
`

// durabilityNote is what each side promises when it answers, as seen with
// strace and perf on Debian's apache2 2.4.71.
const durabilityNote = `
Durability: by default every atomdav upload is a temp file, fsync,
rename and fsync of the folder ("durability: relaxed" skips the
fsyncs, keeping the atomic rename); properties and locks are committed
to bbolt (fdatasync) before the response, concurrent PROPPATCHes sharing a
commit. Apache's mod_dav_fs writes a PUT to a temp file and renames it
with no fsync at all: an acknowledged upload survives a crash of the
server, not a power cut. It keeps a resource's dead properties in a DBM
file of its own under .DAV/ (apr_dbm; on Debian, Berkeley DB) whose pages
it overwrites in place and fdatasyncs when it closes the DBM, twice per
PROPPATCH, without a journal or a fsync of the folder: durable once the
file exists, but a power cut in the middle can tear a page and lose the
resource's properties — not all-or-none. Locks live in one such DBM
(DavLockDB).
`

// fmtSize prints n bytes in the largest binary unit that divides it.
func fmtSize(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.m && n%u.m == 0 {
			return fmt.Sprintf("%d %s", n/u.m, u.s)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// ErrErrors is returned by Check when atomdav failed operations.
var ErrErrors = errors.New("bench: atomdav failed some operations")

// Check returns ErrErrors if any run of atomdav reported errors. Apache's
// errors are reported by Markdown, not here: they are the reference's
// failings, not the instrument's or atomdav's.
func (c *Comparison) Check() error {
	for _, r := range c.Rows() {
		if r.Errors[SideAtomdav] > 0 {
			return fmt.Errorf("%w: %s", ErrErrors, r.Scenario)
		}
	}
	return nil
}

// firstErrors returns, per side, the first error of the scenario's runs.
func (c *Comparison) firstErrors(name string) [nSides]string {
	var fe [nSides]string
	for side, rs := range c.Results[name] {
		for _, r := range rs {
			if r.FirstError != "" {
				fe[side] = r.FirstError
				if len(fe[side]) > 160 {
					fe[side] = fe[side][:160] + "…"
				}
				break
			}
		}
	}
	return fe
}

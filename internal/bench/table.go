package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Row is one scenario's line of a comparison: medians over the rounds.
type Row struct {
	Scenario      string
	Clients       int
	OpsPerSec     [2]float64 // median, per side
	MBPerSec      [2]float64
	P99           [2]time.Duration // median of the rounds' p99
	CPUPerOp      [2]time.Duration // median of the rounds' server CPU time per operation; 0 if unknown
	Errors        [2]int64         // total over the rounds
	Ratio, Target float64          // atomdav ÷ Apache median ops/s; the goal
}

// Met reports whether the row reaches its target.
func (r Row) Met() bool { return r.Ratio >= r.Target }

// Rows folds the rounds into one Row per scenario.
func (c *Comparison) Rows() []Row {
	var rows []Row
	for _, name := range c.Scenarios {
		res, ok := c.Results[name]
		if !ok || len(res[SideAtomdav]) == 0 || len(res[SideApache]) == 0 {
			continue
		}
		row := Row{Scenario: name, Clients: res[SideAtomdav][0].Clients, Target: Targets[name]}
		for side, rs := range res {
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
		if row.OpsPerSec[SideApache] > 0 {
			row.Ratio = row.OpsPerSec[SideAtomdav] / row.OpsPerSec[SideApache]
		}
		rows = append(rows, row)
	}
	return rows
}

// Markdown writes the comparison as a Markdown table with the machine, the
// settings and the notes a reader needs to trust it.
func (c *Comparison) Markdown(w io.Writer) {
	fmt.Fprintf(w, "Medians of %d alternating rounds (atomdav, Apache, atomdav, …) of %v per scenario.\n\n", c.Rounds, c.Config.Duration)
	fmt.Fprintln(w, "| scenario | clients | atomdav ops/s | Apache ops/s | ratio | target | p99 atomdav | p99 Apache | CPU/op atomdav | CPU/op Apache | MB/s atomdav | MB/s Apache | errors |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	var pp *Row
	rows := c.Rows()
	for i, r := range rows {
		mark := "✅"
		if !r.Met() {
			mark = "❌"
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %.1f | **%.2f** %s | ≥ %.1f | %s | %s | %s | %s | %.1f | %.1f | %d / %d |\n",
			r.Scenario, r.Clients, r.OpsPerSec[0], r.OpsPerSec[1], r.Ratio, mark, r.Target,
			fmtLatency(r.P99[0]), fmtLatency(r.P99[1]), fmtCPU(r.CPUPerOp[0]), fmtCPU(r.CPUPerOp[1]),
			r.MBPerSec[0], r.MBPerSec[1], r.Errors[0], r.Errors[1])
		if r.Scenario == "proppatch" {
			pp = &rows[i]
		}
	}
	if pp != nil {
		fmt.Fprintf(w, "\nproppatch p99: atomdav %s, Apache %s — target p99 ≤ Apache's: %s.\n",
			fmtLatency(pp.P99[0]), fmtLatency(pp.P99[1]), metWord(pp.P99[0] <= pp.P99[1]))
	}
	for _, r := range rows {
		if r.Errors[0]+r.Errors[1] == 0 {
			continue
		}
		fe := c.firstErrors(r.Scenario)
		for side, who := range []string{"atomdav", "Apache"} {
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
	if len(c.AtomdavArgs) > 0 {
		fmt.Fprintf(w, "atomdav ran with the extra flags `%s`, which the durability note below does not account for.\n", strings.Join(c.AtomdavArgs, " "))
	}
	fmt.Fprint(w, strings.TrimLeft(durabilityNote, "\n"))
}

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
func (c *Comparison) firstErrors(name string) [2]string {
	var fe [2]string
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

package crashtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
)

var (
	flagKills   = flag.Int("kills", 50, "how many times to kill -9 the server (50: short mode, run by go test ./...)")
	flagWorkers = flag.Int("workers", 8, "concurrent request streams")
	flagSeed    = flag.Uint64("seed", 0, "seed of the workload (0: from the clock)")
)

// The workload's shape. Every bound here keeps a life, and the run, finite.
const (
	ns         = "urn:crash" // namespace of every property the harness sets
	nStable    = 12          // /s/s00.. : PROPPATCH P1..P5 and PUT, never moved
	nCols      = 3           // /m/d0.. : collections that are moved, deleted, re-made
	nNames     = 6           // f0.. : file names in each collection
	minDelay   = 5 * time.Millisecond
	maxDelay   = 150 * time.Millisecond
	maxOps     = 400 // requests per worker per life
	maxPad     = 48 << 10
	reqTimeout = 10 * time.Second
	maxListed  = 5000 // resources a verification walks at most
	endMargin  = 45 * time.Second
)

var (
	binary    string // the atomdav executable TestMain builds
	raceBuild bool   // the test, hence the server, runs with the race detector
)

func TestMain(m *testing.M) {
	raceBuild = testbin.Race()
	os.Exit(testbin.Main(m, &binary))
}

func TestCrash(t *testing.T) {
	if *flagKills < 1 || *flagWorkers < 1 || *flagWorkers > 255 {
		t.Fatalf("-kills %d -workers %d: want at least 1 kill and 1 to 255 workers", *flagKills, *flagWorkers)
	}
	h := newHarness(t)
	deadline, hasDeadline := t.Deadline()
	l := h.mustStart()
	h.setup(l)
	for k := 1; k <= *flagKills; k++ {
		if k > 1 {
			var err error
			if l, err = h.start(); err != nil {
				h.violate("restart-failed", err.Error(), recoveryKeys(err)...)
				break
			}
			h.verify(l)
		}
		h.load(l, minDelay+time.Duration(h.rng.Int64N(int64(maxDelay-minDelay))))
		h.kills++
		h.scanLog(l)
		if hasDeadline && time.Until(deadline) < endMargin {
			t.Logf("stopping after %d of %d kills: the test deadline is near", k, *flagKills)
			break
		}
	}
	if l, err := h.start(); err != nil {
		h.violate("restart-failed", err.Error(), recoveryKeys(err)...)
	} else {
		h.verify(l)
		if err := l.stop(20 * time.Second); err != nil {
			h.violate("unclean-exit", fmt.Sprintf("after SIGTERM: %v\n%s", err, tail(l.logFile, 2000)))
		}
		h.scanLog(l)
		h.check()
	}
	h.report()
}

// ---- the harness and what it records ----

// harness is one crash run: a served directory, the lives of the server
// on it, and the model the checks compare the tree with.
type harness struct {
	t      *testing.T
	work   string // working folder, kept on failure
	root   string // the served directory
	seed   uint64
	rng    *rand.Rand // the test goroutine's
	clock  atomic.Uint64
	tokens atomic.Uint64
	lives  int // lives started, for names; test goroutine only
	kills  int
	cur    *life // the life to kill at cleanup

	mu      sync.Mutex           // guards everything below
	props   map[string]*tracker  // stable file → its P1..P5 value
	live    map[string]*tracker  // live file → its "mt x" (live_test.go)
	content map[string]*tracker  // stable file → its content version
	idents  map[string]*identity // pool content id → how far its creation got
	alive   map[string]bool      // ids of idents not yet missed by a verification
	pvals   map[string]bool      // every P value ever sent
	stats   map[string]*opStats  // by op kind
	ops     []opRecord           // every workload request
	opStart map[int]int          // life → index of its first request in ops
	viol    []violation          // in order found
	checked struct{ verifies, files, resources, live, checksums int }
	lost    bool     // a verification failed: the next one re-learns where files are
	errLogs []string // server log lines at level ERROR, first few
	errN    int

	// The chunked-upload mode's (chunked_test.go): each /c file's content
	// version, and how many were read after restarts.
	chunked     map[string]*tracker
	chunkedRead int

	// The sync mode's (sync_test.go): a client that learns the tree by
	// sync-collection tokens only.
	sync syncClient
}

func newHarness(t *testing.T) *harness {
	work, err := os.MkdirTemp("", "atomdav-crash-")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, work: work, root: filepath.Join(work, "root"), seed: *flagSeed,
		props: map[string]*tracker{}, content: map[string]*tracker{}, live: map[string]*tracker{},
		idents: map[string]*identity{}, alive: map[string]bool{}, pvals: map[string]bool{}, stats: map[string]*opStats{}, opStart: map[int]int{},
	}
	if h.seed == 0 {
		h.seed = uint64(time.Now().UnixNano())
	}
	h.rng = rand.New(rand.NewPCG(h.seed, 0))
	for _, d := range []string{h.root, filepath.Join(work, "logs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if h.cur != nil {
			h.cur.kill()
		}
		if t.Failed() {
			t.Logf("evidence kept in %s (ops.log, violations.log, logs/, root/)", work)
			return
		}
		os.RemoveAll(work)
	})
	return h
}

// token returns a value never used before in this run.
func (h *harness) token() string {
	return fmt.Sprintf("k%06d%04x", h.tokens.Add(1), rand.Uint32()&0xffff)
}

// tracker is the model of one value (a stable file's P1..P5, or its
// content version) during one life: the value seen when the life began and
// every write sent since.
type tracker struct {
	base   string // "" for absent
	writes []write
}

// write is one request that sets a tracked value. sent and acked are
// readings of the harness clock: sent before the request left, acked after
// its whole success answer arrived (0: never). failed means a definite
// refusal: nothing changed.
type write struct {
	val         string
	sent, acked uint64
	failed      bool
}

// allowed lists the values the tracked item may hold after a crash. The
// server commits a write between its sent and acked readings, so a write w
// sent after another's ack a commits after it: an acked value survives
// unless some acked write was sent after its ack. A write whose answer did
// not arrive may have committed at any time after it was sent, or never.
func (tr *tracker) allowed() []string {
	var last uint64 // the latest send among acked writes
	for _, w := range tr.writes {
		if w.acked != 0 {
			last = max(last, w.sent)
		}
	}
	var out []string
	if last == 0 {
		out = append(out, tr.base)
	}
	for _, w := range tr.writes {
		if !w.failed && (w.acked == 0 || w.acked > last) {
			out = append(out, w.val)
		}
	}
	return out
}

// identity is one pool file: how far its creation got (its PUT and the
// PROPPATCH of its urn:crash:id) and where the last verification saw it.
// Once both creation requests were acknowledged, the file must carry that
// id wherever it goes, for as long as it exists.
type identity struct {
	putAcked, idAcked bool
	created           string // the unique path its PUT went to
	where             string // path seen at the last verification; "" if none
	gone              bool   // a verification after its creation missed it
}

type opStats struct{ sent, acked, failed, uncertain int }

type outcome int

const (
	uncertain outcome = iota // no complete answer: may or may not have happened
	acked                    // complete success answer
	failed                   // complete refusal: nothing changed
)

func (o outcome) String() string { return [...]string{"uncertain", "acked", "failed"}[o] }

// opRecord is one workload request, for the evidence.
type opRecord struct {
	life, worker   int
	sent, done     uint64
	kind, method   string
	path, dst, val string
	status         int
	outcome        outcome
	err            string
}

func (o opRecord) String() string {
	s := fmt.Sprintf("life %d w%d [%d..%d] %-14s %s %s", o.life, o.worker, o.sent, o.done, o.kind, o.method, o.path)
	if o.dst != "" {
		s += " -> " + o.dst
	}
	if o.val != "" {
		s += " val=" + o.val
	}
	s += fmt.Sprintf(" => %d %s", o.status, o.outcome)
	if o.err != "" {
		s += " (" + o.err + ")"
	}
	return s
}

// violation is one broken promise, with the paths and values whose
// requests are its evidence.
type violation struct {
	life             int // the life whose requests are the evidence
	where, kind, msg string
	keys             []string // paths (evidence from life only) and values
}

// violate records a violation; safe from any goroutine.
func (h *harness) violate(kind, msg string, keys ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	life := h.lives
	if kind == "restart-failed" {
		life-- // the start-up failed on what the life before left
	}
	h.viol = append(h.viol, violation{life: life, where: fmt.Sprintf("life %d", h.lives), kind: kind, msg: msg, keys: keys})
}

// ---- server lives ----

// life is one run of the server process.
type life struct {
	n       int
	proc    *testbin.Process
	base    string // http://127.0.0.1:port
	client  *http.Client
	tr      *http.Transport
	logFile string
	log     *os.File // logFile, open while the process runs
}

func (h *harness) mustStart() *life {
	l, err := h.start()
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// start starts a new life on the directory and waits until it answers its
// first OPTIONS with 200.
func (h *harness) start() (*life, error) {
	h.lives++
	l, err := h.launch()
	if err != nil {
		return nil, fmt.Errorf("life %d: %w", h.lives, err)
	}
	h.cur = l
	return l, nil
}

// launch opens the life's log file and starts the server writing to it.
func (h *harness) launch() (*life, error) {
	logFile := filepath.Join(h.work, "logs", fmt.Sprintf("life-%04d.log", h.lives))
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4 * *flagWorkers,
		DisableCompression:  true,
	}
	l := &life{
		n: h.lives, tr: tr, logFile: logFile, log: f,
		client: &http.Client{Transport: tr, Timeout: reqTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	l.proc, err = testbin.Start(binary, h.root, testbin.StartOptions{
		Args:   []string{"--anonymous", "--log-level", "warn"},
		Output: f,
		Ready:  l.ready,
		Poll:   5 * time.Millisecond,
	})
	if err != nil {
		f.Close()
		tr.CloseIdleConnections()
		return nil, err
	}
	l.base = l.proc.URL()
	return l, nil
}

// ready is the readiness probe: OPTIONS / answers 200.
func (l *life) ready(base string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "OPTIONS", base+"/", nil)
	if err != nil {
		return err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("OPTIONS /: %s", resp.Status)
	}
	return nil
}

// kill ends the process as a crash would and waits for it.
func (l *life) kill() {
	l.proc.Kill9()
	l.log.Close()
	l.tr.CloseIdleConnections()
}

// stop sends SIGTERM and returns the exit error (nil for status 0).
func (l *life) stop(timeout time.Duration) error {
	l.tr.CloseIdleConnections()
	err := l.proc.Terminate(timeout)
	l.log.Close()
	return err
}

// scanLog reads a dead life's log for data races, panics and errors.
func (h *harness) scanLog(l *life) {
	b, err := os.ReadFile(l.logFile)
	if err != nil {
		h.violate("harness", err.Error())
		return
	}
	s := string(b)
	if i := strings.Index(s, "WARNING: DATA RACE"); i >= 0 {
		h.violate("server-race", fmt.Sprintf("life %d (%s):\n%s", l.n, l.logFile, clip(s[i:], 3000)))
	}
	if i := strings.Index(s, "panic:"); i >= 0 {
		h.violate("server-panic", fmt.Sprintf("life %d (%s):\n%s", l.n, l.logFile, clip(s[i:], 3000)))
	}
	for line := range strings.Lines(s) {
		if strings.Contains(line, "level=ERROR") {
			h.mu.Lock()
			h.errN++
			if len(h.errLogs) < 5 {
				h.errLogs = append(h.errLogs, fmt.Sprintf("life %d: %s", l.n, strings.TrimSpace(line)))
			}
			h.mu.Unlock()
		}
	}
}

// ---- requests ----

// exchange is one request and its answer read to the end.
type exchange struct {
	status     int
	body       []byte
	err        error  // transport error or a cut answer
	sent, done uint64 // clock readings; done is 0 without a whole answer
}

func (h *harness) do(ctx context.Context, l *life, method, p string, body []byte, hdr ...string) exchange {
	var x exchange
	req, err := http.NewRequestWithContext(ctx, method, l.base+p, bytes.NewReader(body))
	if err != nil {
		x.err = err
		return x
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if method == "PROPPATCH" || method == "PROPFIND" {
		req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	x.sent = h.clock.Add(1)
	resp, err := l.client.Do(req)
	if err != nil {
		x.err = err
		return x
	}
	defer resp.Body.Close()
	x.status = resp.StatusCode
	if x.body, x.err = io.ReadAll(io.LimitReader(resp.Body, 8<<20)); x.err == nil {
		x.done = h.clock.Add(1)
	}
	return x
}

// judge classifies a plain (non-PROPPATCH) answer.
func judge(x exchange) outcome {
	switch {
	case x.err != nil:
		return uncertain
	case x.status >= 200 && x.status < 300:
		return acked
	case x.status >= 400 && x.status < 500:
		return failed
	}
	return uncertain // 5xx: the server may have done part of it
}

// judgeProppatch classifies a PROPPATCH answer: acked only for a 207 with a
// 200 for each of the want properties. A 207 mixing 200 with other
// statuses breaks all-or-none by itself.
func (h *harness) judgeProppatch(x exchange, want int, p string) outcome {
	if x.err != nil || x.status != http.StatusMultiStatus {
		return judge(x)
	}
	codes, err := propstatCodes(x.body)
	if err != nil {
		return uncertain
	}
	ok := 0
	for _, c := range codes {
		if c == http.StatusOK {
			ok++
		}
	}
	switch {
	case ok == want && len(codes) == want:
		return acked
	case ok == 0:
		return failed
	}
	h.violate("mixed-207", fmt.Sprintf("PROPPATCH %s answered a 207 mixing 200 with failures:\n%s", p, x.body), p)
	return uncertain
}

// ---- the workload ----

// worker is one request stream during one life.
type worker struct {
	h   *harness
	l   *life
	id  int
	rng *rand.Rand
}

// load runs the workers against l and kills it after delay.
func (h *harness) load(l *life, delay time.Duration) {
	h.opStart[l.n] = len(h.ops)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range *flagWorkers {
		w := &worker{h: h, l: l, id: i, rng: rand.New(rand.NewPCG(h.seed, uint64(l.n)<<8|uint64(i)))}
		wg.Go(func() {
			for n := 0; n < maxOps && ctx.Err() == nil; n++ {
				w.step(ctx)
			}
		})
	}
	time.Sleep(delay)
	l.kill()
	cancel()
	wg.Wait()
	h.cur = nil
}

func (w *worker) step(ctx context.Context) {
	if *flagLive && w.rng.IntN(100) < livePct {
		w.liveProppatch(ctx)
		return
	}
	if *flagChunked && w.rng.IntN(100) < chunkedPct {
		w.chunkedUpload(ctx)
		return
	}
	switch n := w.rng.IntN(100); {
	case n < 30:
		w.stableProppatch(ctx)
	case n < 45:
		w.stablePut(ctx)
	case n < 55:
		w.poolProppatch(ctx)
	case n < 70:
		w.create(ctx)
	case n < 82:
		w.send(ctx, "move-file", "MOVE", w.poolFile(), w.poolFile(), "", nil)
	case n < 86:
		w.send(ctx, "move-col", "MOVE", w.col(), w.col(), "", nil)
	case n < 92:
		w.send(ctx, "mkcol", "MKCOL", w.col(), "", "", nil)
	case n < 98:
		w.send(ctx, "delete-file", "DELETE", w.poolFile(), "", "", nil)
	default:
		w.send(ctx, "delete-col", "DELETE", w.col(), "", "", nil)
	}
}

func (w *worker) col() string      { return fmt.Sprintf("/m/d%d", w.rng.IntN(nCols)) }
func (w *worker) poolFile() string { return fmt.Sprintf("%s/f%d", w.col(), w.rng.IntN(nNames)) }

// send runs one request, records it and returns the record. A MOVE goes
// to dst with Overwrite: T; a PROPPATCH of an id expects one 200, of
// P1..P5 five.
func (w *worker) send(ctx context.Context, kind, method, p, dst, val string, body []byte) opRecord {
	var hdr []string
	if method == "MOVE" {
		if p == dst {
			return opRecord{outcome: failed} // not worth a request
		}
		hdr = []string{"Destination", w.l.base + dst, "Overwrite", "T"}
	}
	x := w.h.do(ctx, w.l, method, p, body, hdr...)
	var out outcome
	if method == "PROPPATCH" {
		want := 5
		switch kind {
		case "create-id":
			want = 1
		case "live-props":
			want = 4
		}
		out = w.h.judgeProppatch(x, want, p)
	} else {
		out = judge(x)
	}
	rec := opRecord{life: w.l.n, worker: w.id, sent: x.sent, done: x.done, kind: kind, method: method,
		path: p, dst: dst, val: val, status: x.status, outcome: out}
	if x.err != nil {
		rec.err = clip(x.err.Error(), 80)
	}
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	w.h.ops = append(w.h.ops, rec)
	st := w.h.stats[kind]
	if st == nil {
		st = &opStats{}
		w.h.stats[kind] = st
	}
	st.sent++
	switch out {
	case acked:
		st.acked++
	case failed:
		st.failed++
	default:
		st.uncertain++
	}
	return rec
}

// record adds the write rec made to the tracker of p in m.
func (w *worker) record(m map[string]*tracker, p string, rec opRecord) {
	wr := write{val: rec.val, sent: rec.sent, failed: rec.outcome == failed}
	if rec.outcome == acked {
		wr.acked = rec.done
	}
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	m[p].writes = append(m[p].writes, wr)
}

// stableProppatch sets P1..P5 of a stable file to one fresh value.
func (w *worker) stableProppatch(ctx context.Context) {
	p, val := fmt.Sprintf("/s/s%02d", w.rng.IntN(nStable)), w.h.token()
	w.h.notePval(val)
	w.record(w.h.props, p, w.send(ctx, "stable-props", "PROPPATCH", p, "", val, propsBody(val)))
}

// stablePut replaces a stable file's content with a new version.
func (w *worker) stablePut(ctx context.Context) {
	i := w.rng.IntN(nStable)
	p, ver := fmt.Sprintf("/s/s%02d", i), w.h.token()
	w.record(w.h.content, p, w.send(ctx, "stable-put", "PUT", p, "", ver, content(fmt.Sprintf("s-%02d", i), ver, w.rng)))
}

// poolProppatch sets P1..P5 on a pool file or collection, wherever it is.
func (w *worker) poolProppatch(ctx context.Context) {
	p, val := w.poolFile(), w.h.token()
	if w.rng.IntN(4) == 0 {
		p = w.col()
	}
	w.h.notePval(val)
	w.send(ctx, "pool-props", "PROPPATCH", p, "", val, propsBody(val))
}

// create makes a pool file under a name nobody else uses (PUT, then
// PROPPATCH of its id), then moves it onto a pool name.
func (w *worker) create(ctx context.Context) {
	id := w.h.token()
	p := fmt.Sprintf("%s/n-%s", w.col(), id)
	w.h.mu.Lock()
	ident := &identity{created: p}
	w.h.idents[id], w.h.alive[id] = ident, true
	w.h.mu.Unlock()
	if w.send(ctx, "create-put", "PUT", p, "", id, content(id, id, w.rng)).outcome != acked {
		return
	}
	w.h.mu.Lock()
	ident.putAcked = true
	w.h.mu.Unlock()
	if w.send(ctx, "create-id", "PROPPATCH", p, "", id, idBody(id)).outcome != acked {
		return
	}
	w.h.mu.Lock()
	ident.idAcked = true
	w.h.mu.Unlock()
	dst := fmt.Sprintf("%s/f%d", w.col(), w.rng.IntN(nNames))
	if w.send(ctx, "create-move", "MOVE", p, dst, id, nil).outcome == failed {
		w.send(ctx, "create-cleanup", "DELETE", p, "", id, nil)
	}
}

func (h *harness) notePval(v string) {
	h.mu.Lock()
	h.pvals[v] = true
	h.mu.Unlock()
}

func propsBody(val string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:c="` + ns + `"><D:set><D:prop>`)
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "<c:P%d>%s</c:P%d>", i, val, i)
	}
	b.WriteString(`</D:prop></D:set></D:propertyupdate>`)
	return []byte(b.String())
}

func idBody(id string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:c="` + ns +
		`"><D:set><D:prop><c:id>` + id + `</c:id></D:prop></D:set></D:propertyupdate>`)
}

// content is a file body: "sha256=<hex of the rest>\n", then
// "id=<id> ver=<ver>\n", then filler of random length.
func content(id, ver string, rng *rand.Rand) []byte {
	const filler = "abcdefghijklmnopqrstuvwxyz0123456789\n"
	n := 64 + rng.IntN(maxPad)
	rest := fmt.Appendf(make([]byte, 0, n+64), "id=%s ver=%s\n", id, ver)
	for len(rest) < n {
		rest = append(rest, filler[rng.IntN(len(filler))])
	}
	sum := sha256.Sum256(rest)
	return append(fmt.Appendf(nil, "sha256=%x\n", sum), rest...)
}

// parseContent checks a file body made by content and returns its id and
// version.
func parseContent(b []byte) (id, ver string, err error) {
	head, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || !bytes.HasPrefix(head, []byte("sha256=")) {
		return "", "", fmt.Errorf("no checksum line (%d bytes)", len(b))
	}
	sum := sha256.Sum256(rest)
	if string(head[len("sha256="):]) != hex.EncodeToString(sum[:]) {
		return "", "", fmt.Errorf("checksum mismatch (%d bytes): torn or mixed content", len(b))
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	if _, err := fmt.Sscanf(string(line), "id=%s ver=%s", &id, &ver); err != nil {
		return "", "", fmt.Errorf("identity line %q: %w", line, err)
	}
	return id, ver, nil
}

// ---- the model's own tests ----

func TestTrackerAllowed(t *testing.T) {
	a := write{val: "a", sent: 1, acked: 4}
	b := write{val: "b", sent: 2, acked: 3}
	c := write{val: "c", sent: 5, acked: 6}
	u := write{val: "u", sent: 7}
	f := write{val: "f", sent: 8, failed: true}
	for _, tc := range []struct {
		name   string
		writes []write
		want   []string
	}{
		{"nothing sent keeps the base", nil, []string{"base"}},
		{"overlapping acks may commit in either order", []write{a, b}, []string{"a", "b"}},
		{"a write sent after an ack supersedes it", []write{a, b, c}, []string{"c"}},
		{"an unanswered write may or may not have committed", []write{c, u}, []string{"c", "u"}},
		{"unanswered alone: base or it", []write{u}, []string{"base", "u"}},
		{"a refused write changed nothing", []write{f}, []string{"base"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &tracker{base: "base", writes: tc.writes}
			if got := tr.allowed(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("allowed() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWhereabouts(t *testing.T) {
	mv := func(src, dst string, out outcome) opRecord {
		return opRecord{method: "MOVE", path: src, dst: dst, outcome: out}
	}
	del := func(p string, out outcome) opRecord { return opRecord{method: "DELETE", path: p, outcome: out} }
	for _, tc := range []struct {
		name  string
		ops   []opRecord
		reach string
		hit   bool
	}{
		{"untouched", []opRecord{mv("/m/d1/f1", "/m/d1/f2", acked)}, "[/m/d0/f1]", false},
		{"a refused MOVE moves nothing", []opRecord{mv("/m/d0", "/m/d1", failed)}, "[/m/d0/f1]", false},
		{"collection MOVE, then file MOVE, in any order",
			[]opRecord{mv("/m/d1/f1", "/m/d2/f3", uncertain), mv("/m/d0", "/m/d1", acked)},
			"[/m/d0/f1 /m/d1/f1 /m/d2/f3]", false},
		{"a MOVE onto where another MOVE took it may replace it",
			[]opRecord{mv("/m/d0", "/m/d1", acked), mv("/m/d2", "/m/d1", uncertain)},
			"[/m/d0/f1 /m/d1/f1]", true},
		{"DELETE of an ancestor may remove it", []opRecord{del("/m/d0", uncertain)}, "[/m/d0/f1]", true},
		{"MOVE onto it may replace it", []opRecord{mv("/m/d2/f0", "/m/d0/f1", acked)}, "[/m/d0/f1]", true},
		{"a refused DELETE removes nothing", []opRecord{del("/m/d0/f1", failed)}, "[/m/d0/f1]", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reach, hit := whereabouts("/m/d0/f1", tc.ops)
			if got := fmt.Sprint(sortedKeys(reach)); got != tc.reach || hit != tc.hit {
				t.Errorf("whereabouts = %s, %v; want %s, %v", got, hit, tc.reach, tc.hit)
			}
		})
	}
}

func TestContent(t *testing.T) {
	b := content("id1", "v1", rand.New(rand.NewPCG(1, 2)))
	if id, ver, err := parseContent(b); err != nil || id != "id1" || ver != "v1" {
		t.Fatalf("parseContent(content(id1, v1)) = %q, %q, %v", id, ver, err)
	}
	if _, _, err := parseContent(b[:len(b)-1]); err == nil {
		t.Error("a truncated body passed")
	}
}

// ---- setup and verification ----

// setup makes the tree the workload needs; every request must succeed.
func (h *harness) setup(l *life) {
	ctx := context.Background()
	ok := func(x exchange, want ...int) {
		h.t.Helper()
		if x.err != nil || !contains(want, x.status) {
			h.t.Fatalf("setup: status %d, err %v\n%s", x.status, x.err, x.body)
		}
	}
	for _, p := range []string{"/s", "/m", "/m/d0", "/m/d1", "/m/d2"} {
		ok(h.do(ctx, l, "MKCOL", p, nil), http.StatusCreated)
	}
	rng := rand.New(rand.NewPCG(h.seed, 1<<40))
	for i := range nStable {
		p, val := fmt.Sprintf("/s/s%02d", i), fmt.Sprintf("init-%02d", i)
		ok(h.do(ctx, l, "PUT", p, content(fmt.Sprintf("s-%02d", i), val, rng)), http.StatusCreated)
		ok(h.do(ctx, l, "PROPPATCH", p, idBody(fmt.Sprintf("s-%02d", i))), http.StatusMultiStatus)
		x := h.do(ctx, l, "PROPPATCH", p, propsBody(val))
		if h.judgeProppatch(x, 5, p) != acked {
			h.t.Fatalf("setup: PROPPATCH %s not committed: %d\n%s", p, x.status, x.body)
		}
		h.pvals[val] = true
		h.props[p] = &tracker{base: val}
		h.content[p] = &tracker{base: val}
	}
	h.setupLive(l)
	h.setupChunked(l)
}

// resource is one PROPFIND response: a path, whether it is a collection,
// and the urn:crash properties found on it (local name → text).
type resource struct {
	path      string
	coll      bool
	props     map[string]string
	checksums string // oc:checksums' inner XML, "" when not reported
	etag      string // DAV:getetag
}

// verify reads the whole tree of a fresh life before any load and checks
// it against the model, then makes what it saw the model's new base.
func (h *harness) verify(l *life) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checked.verifies++
	res, err := h.walk(l)
	if err != nil {
		h.violLocked(l, "read-failed", err.Error())
		h.lost = true
		return
	}
	seen := map[string]string{} // content id → path
	for _, p := range sortedKeys(res) {
		r := res[p]
		h.checked.resources++
		h.checkResource(l, r)
		if !r.coll && strings.HasPrefix(p, "/l/") {
			h.checkLive(l, r)
		} else if !r.coll && strings.HasPrefix(p, "/c/") {
			h.checkChunked(l, r)
		} else if !r.coll {
			h.checked.files++
			h.checkFile(l, r, seen)
		}
	}
	for i := range nStable {
		if p := fmt.Sprintf("/s/s%02d", i); res[p] == nil {
			h.violLocked(l, "stable-missing", p+" is gone", p)
		}
	}
	for p := range h.live {
		if res[p] == nil {
			h.violLocked(l, "live-file-missing", p+" is gone", p)
		}
	}
	for p := range h.chunked {
		if res[p] == nil {
			h.violLocked(l, "chunked-file-missing", p+" is gone", p)
		}
	}
	h.checkWhereabouts(l, seen)
	h.checkSync(l, res)
}

// checkWhereabouts follows every pool file through the requests of the
// life that just ended. A file may be at any path that the MOVEs not
// refused, in any order, can carry it to from where it was; it may be
// gone only if a DELETE, or a MOVE onto it, not refused, could have hit one
// of those paths. A refused request (4xx) must have changed nothing, and a
// file once missed never comes back.
func (h *harness) checkWhereabouts(l *life, seen map[string]string) {
	var ops []opRecord
	if start, ok := h.opStart[l.n-1]; ok {
		ops = h.ops[start:]
	}
	for _, id := range sortedKeys(seen) {
		if ident := h.idents[id]; ident != nil && ident.gone {
			h.violLocked(l, "resurrected", fmt.Sprintf("%s, missed by an earlier verification, is back at %s", id, seen[id]), id, seen[id])
		}
	}
	for _, id := range sortedKeys(h.alive) {
		ident := h.idents[id]
		at, found := seen[id]
		from := ident.where
		if from == "" {
			from = ident.created // created during the life that ended
		}
		reach, hit := whereabouts(from, ops)
		switch {
		case h.lost: // the last verification failed: where is unknown
		case found && !reach[at]:
			h.violLocked(l, "misplaced-file", fmt.Sprintf("%s was at %s and is now at %s; reachable: %v", id, from, at, sortedKeys(reach)), id, from, at)
		case !found && !hit && (ident.where != "" || ident.putAcked):
			h.violLocked(l, "lost-file", fmt.Sprintf("%s (at %s) is gone, yet no DELETE or MOVE that was not refused could reach it (paths %v)", id, from, sortedKeys(reach)), id, from)
		}
		ident.where, ident.gone = at, !found
		if !found {
			delete(h.alive, id)
		}
	}
	h.lost = false
}

// whereabouts returns the paths a resource at from can reach through the
// MOVEs in ops that were not refused, in any order, and whether one of the
// DELETEs or MOVEs not refused could have removed it: a DELETE of a path
// it can reach, or a MOVE onto a path it can reach without that MOVE.
func whereabouts(from string, ops []opRecord) (reach map[string]bool, hit bool) {
	reach = closure(from, ops, -1)
	for i, o := range ops {
		switch {
		case o.outcome == failed:
		case o.method == "DELETE" && anyWithin(reach, o.path):
			hit = true
		case o.method == "MOVE" && anyWithin(reach, o.dst) && anyWithin(closure(from, ops, i), o.dst):
			hit = true
		}
	}
	return reach, hit
}

// closure returns the paths from can reach through the MOVEs of ops not
// refused, leaving out ops[skip].
func closure(from string, ops []opRecord, skip int) map[string]bool {
	reach := map[string]bool{from: true}
	for changed := true; changed; {
		changed = false
		for i, o := range ops {
			if i == skip || o.outcome == failed || o.method != "MOVE" {
				continue
			}
			for q := range reach {
				if within(q, o.path) {
					if nq := o.dst + q[len(o.path):]; !reach[nq] {
						reach[nq], changed = true, true
					}
				}
			}
		}
	}
	return reach
}

func anyWithin(paths map[string]bool, dir string) bool {
	for p := range paths {
		if within(p, dir) {
			return true
		}
	}
	return false
}

// within reports whether p is dir or lies inside it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

func (h *harness) violLocked(l *life, kind, msg string, keys ...string) {
	h.viol = append(h.viol, violation{life: l.n - 1, where: fmt.Sprintf("restart %d, after kill %d", l.n, l.n-1), kind: kind, msg: msg, keys: keys})
}

// checkResource checks what every resource promises: no temp file listed,
// P1..P5 all or none, each value one the harness sent.
func (h *harness) checkResource(l *life, r *resource) {
	if name := path.Base(r.path); strings.HasPrefix(name, ".atomdav-tmp-") || strings.HasPrefix(r.path, "/.atomdav") {
		h.violLocked(l, "temp-listed", r.path+" is listed", r.path)
	}
	vals := map[string]bool{}
	n := 0
	for i := 1; i <= 5; i++ {
		if v, ok := r.props[fmt.Sprintf("P%d", i)]; ok {
			n++
			vals[v] = true
			if !h.pvals[v] {
				h.violLocked(l, "unknown-value", fmt.Sprintf("%s: P%d=%q was never sent", r.path, i, v), r.path, v)
			}
		}
	}
	if (n != 0 && n != 5) || len(vals) > 1 {
		h.violLocked(l, "torn-proppatch", fmt.Sprintf("%s: P1..P5 = %v", r.path, pvalsOf(r)), append([]string{r.path}, sortedKeys(vals)...)...)
	}
}

// readContent GETs the file at p and parses its content, reporting a
// failed read, or content that does not parse (as torn, a violation of
// that kind), as a violation.
func (h *harness) readContent(l *life, p, torn string) (body []byte, id, ver string, ok bool) {
	x := h.do(context.Background(), l, "GET", p, nil)
	if x.err != nil || x.status != http.StatusOK {
		h.violLocked(l, "read-failed", fmt.Sprintf("GET %s: %d %v", p, x.status, x.err), p)
		return nil, "", "", false
	}
	id, ver, err := parseContent(x.body)
	if err != nil {
		h.violLocked(l, torn, fmt.Sprintf("%s: %v", p, err), p)
		return nil, "", "", false
	}
	return x.body, id, ver, true
}

// checkFile reads a file and checks its content and its id property; for a
// stable file also that its props and content are allowed by the model.
func (h *harness) checkFile(l *life, r *resource, seen map[string]string) {
	body, id, ver, ok := h.readContent(l, r.path, "torn-content")
	if !ok {
		return
	}
	if other, dup := seen[id]; dup {
		h.violLocked(l, "duplicate-identity", fmt.Sprintf("content id %s in both %s and %s", id, other, r.path), id, other, r.path)
	}
	seen[id] = r.path
	h.checkChecksums(l, r, body)
	propID, hasID := r.props["id"]
	if hasID && propID != id {
		h.violLocked(l, "misplaced-prop", fmt.Sprintf("%s: content id %s, urn:crash:id %s", r.path, id, propID), r.path, id, propID)
	}
	if strings.HasPrefix(r.path, "/s/") {
		h.checkStable(l, r, id, ver)
		return
	}
	ident := h.idents[id]
	switch {
	case ident == nil:
		h.violLocked(l, "unknown-content", fmt.Sprintf("%s: content id %s was never written", r.path, id), r.path, id)
	case !hasID && ident.putAcked && ident.idAcked:
		h.violLocked(l, "lost-id", fmt.Sprintf("%s: content id %s, whose PUT and PROPPATCH were acknowledged, has no urn:crash:id", r.path, id), r.path, id)
	}
}

// checkStable compares a stable file with its trackers and rebases them.
func (h *harness) checkStable(l *life, r *resource, id, ver string) {
	want := "s-" + strings.TrimPrefix(path.Base(r.path), "s")
	if id != want || r.props["id"] != want {
		h.violLocked(l, "misplaced-prop", fmt.Sprintf("%s: content id %s, urn:crash:id %q, want %s", r.path, id, r.props["id"], want), r.path)
	}
	for _, c := range []struct {
		kind string
		tr   *tracker
		got  string
	}{{"lost-proppatch", h.props[r.path], r.props["P1"]}, {"lost-put", h.content[r.path], ver}} {
		if c.tr == nil {
			continue
		}
		if ok := contains(c.tr.allowed(), c.got); !ok {
			h.violLocked(l, c.kind, fmt.Sprintf("%s holds %q; allowed after the kill: %q", r.path, c.got, c.tr.allowed()), r.path, c.got)
		}
		c.tr.base, c.tr.writes = c.got, nil
	}
}

// walk lists the tree with PROPFIND Depth 1 on every collection.
func (h *harness) walk(l *life) (map[string]*resource, error) {
	res := map[string]*resource{}
	queue := []string{"/"}
	for len(queue) > 0 && len(res) < maxListed {
		dir := queue[0]
		queue = queue[1:]
		var list []*resource
		var err error
		for range 3 {
			if list, err = h.propfind(l, dir); err == nil {
				break
			}
		}
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			if res[r.path] != nil {
				continue
			}
			res[r.path] = r
			if r.coll && r.path != dir && strings.Count(r.path, "/") < 4 {
				queue = append(queue, r.path)
			}
		}
	}
	return res, nil
}

const propfindBody = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:c="` + ns +
	`" xmlns:oc="http://owncloud.org/ns"><D:prop><D:resourcetype/><D:getetag/><c:P1/><c:P2/><c:P3/><c:P4/><c:P5/><c:id/><c:mt/><c:x/><oc:checksums/></D:prop></D:propfind>`

// msProp is any property element in a 207.
type msProp struct {
	XMLName    xml.Name
	Text       string    `xml:",chardata"`
	Inner      string    `xml:",innerxml"`
	Collection *struct{} `xml:"DAV: collection"`
}

type msResponse struct {
	Href     string `xml:"DAV: href"`
	Status   string `xml:"DAV: status"` // of a response without propstat (sync-collection's 404, 507)
	Propstat []struct {
		Prop struct {
			Any []msProp `xml:",any"`
		} `xml:"DAV: prop"`
		Status string `xml:"DAV: status"`
	} `xml:"DAV: propstat"`
}

type msBody struct {
	Responses []msResponse `xml:"DAV: response"`
}

func (h *harness) propfind(l *life, dir string) ([]*resource, error) {
	x := h.do(context.Background(), l, "PROPFIND", dir, []byte(propfindBody), "Depth", "1")
	if x.err != nil || x.status != http.StatusMultiStatus {
		return nil, fmt.Errorf("PROPFIND %s: %d %v\n%s", dir, x.status, x.err, clip(string(x.body), 500))
	}
	var ms msBody
	if err := xml.Unmarshal(x.body, &ms); err != nil {
		return nil, fmt.Errorf("PROPFIND %s: %w", dir, err)
	}
	var out []*resource
	for _, resp := range ms.Responses {
		u, err := url.Parse(resp.Href)
		if err != nil {
			return nil, fmt.Errorf("PROPFIND %s: href %q: %w", dir, resp.Href, err)
		}
		r := &resource{path: path.Clean("/" + u.Path), props: map[string]string{}}
		r.read(resp)
		out = append(out, r)
	}
	return out, nil
}

// read fills r from the properties resp answers with 200.
func (r *resource) read(resp msResponse) {
	for _, ps := range resp.Propstat {
		if statusCode(ps.Status) != http.StatusOK {
			continue
		}
		for _, p := range ps.Prop.Any {
			switch {
			case p.XMLName.Space == "DAV:" && p.XMLName.Local == "resourcetype":
				r.coll = p.Collection != nil
			case p.XMLName.Space == "DAV:" && p.XMLName.Local == "getetag":
				r.etag = p.Text
			case p.XMLName.Space == ns:
				r.props[p.XMLName.Local] = p.Text
			case p.XMLName.Space == "http://owncloud.org/ns" && p.XMLName.Local == "checksums":
				r.checksums = p.Inner
			}
		}
	}
}

// propstatCodes returns the status of every property in a PROPPATCH 207.
func propstatCodes(body []byte) ([]int, error) {
	var ms msBody
	if err := xml.Unmarshal(body, &ms); err != nil {
		return nil, err
	}
	var codes []int
	for _, r := range ms.Responses {
		for _, ps := range r.Propstat {
			for range ps.Prop.Any {
				codes = append(codes, statusCode(ps.Status))
			}
		}
	}
	return codes, nil
}

// statusCode reads "HTTP/1.1 200 OK".
func statusCode(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// ---- the end ----

// check runs `atomdav check DIR` when the binary has that command.
func (h *harness) check() {
	if err := exec.Command(binary, "check", "--help").Run(); err != nil {
		h.t.Logf("atomdav check: not in this binary yet (check --help: %v); step skipped", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "check", h.root).CombinedOutput()
	h.t.Logf("atomdav check %s: exit %v\n%s", h.root, exitOf(err), clip(string(out), 3000))
	if err != nil {
		h.violate("check-inconsistent", fmt.Sprintf("atomdav check: %v\n%s", err, clip(string(out), 3000)))
	}
}

func exitOf(err error) string {
	if err == nil {
		return "0"
	}
	return err.Error()
}

// report logs the figures and fails the test on any violation.
func (h *harness) report() {
	t := h.t
	h.mu.Lock()
	defer h.mu.Unlock()
	var tot opStats
	var lines []string
	for _, k := range sortedKeys(h.stats) {
		s := h.stats[k]
		tot.sent, tot.acked, tot.failed, tot.uncertain = tot.sent+s.sent, tot.acked+s.acked, tot.failed+s.failed, tot.uncertain+s.uncertain
		lines = append(lines, fmt.Sprintf("  %-14s sent %6d  acked %6d  refused %6d  unanswered %5d", k, s.sent, s.acked, s.failed, s.uncertain))
	}
	byKind := map[string]int{}
	for _, v := range h.viol {
		byKind[v.kind]++
	}
	t.Logf("seed %d, %d workers, race=%v: %d kills, %d lives; requests sent %d, acknowledged %d, refused (4xx) %d, unanswered (in flight at a kill, or 5xx) %d\n%s",
		h.seed, *flagWorkers, raceBuild, h.kills, h.lives, tot.sent, tot.acked, tot.failed, tot.uncertain, strings.Join(lines, "\n"))
	t.Logf("verified %d times: %d resources, %d files read (%d with oc:checksums, compared with their bytes), %d live files compared with their dead twins (live mode %v); server ERROR log lines: %d %q",
		h.checked.verifies, h.checked.resources, h.checked.files, h.checked.checksums, h.checked.live, *flagLive, h.errN, h.errLogs)
	t.Logf("violations by kind: %v", byKind)
	if len(h.viol) == 0 {
		return
	}
	h.writeEvidence()
	var b strings.Builder
	for i, v := range h.viol[:min(20, len(h.viol))] {
		fmt.Fprintf(&b, "\n%2d. [%s] %s: %s", i+1, v.kind, v.where, clip(v.msg, 600))
		if i < 3 {
			for _, o := range h.related(v, 12) {
				fmt.Fprintf(&b, "\n      %s", o)
			}
		}
	}
	t.Errorf("%d violations %v; first %d:%s", len(h.viol), byKind, min(20, len(h.viol)), b.String())
}

// related returns the last n requests that touch one of v's keys: a value
// (in any life) or, during the life v is about, a path, an ancestor
// collection of it, or one of its members.
func (h *harness) related(v violation, n int) []opRecord {
	var out []opRecord
	for i := len(h.ops) - 1; i >= 0 && len(out) < n; i-- {
		o := h.ops[i]
		for _, k := range v.keys {
			isPath := strings.HasPrefix(k, "/")
			switch {
			case k == "" || (isPath && o.life != v.life):
				continue
			case !isPath && (o.val == k || strings.Contains(o.path, k)),
				isPath && (within(k, o.path) || within(o.path, k) || o.dst != "" && (within(k, o.dst) || within(o.dst, k))):
			default:
				continue
			}
			out = append(out, o)
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// writeEvidence writes ops.log and violations.log into the kept folder.
func (h *harness) writeEvidence() {
	var ops, vs bytes.Buffer
	for _, o := range h.ops {
		fmt.Fprintln(&ops, o)
	}
	for i, v := range h.viol {
		fmt.Fprintf(&vs, "%d. [%s] %s: %s\n", i+1, v.kind, v.where, v.msg)
		for _, o := range h.related(v, 40) {
			fmt.Fprintf(&vs, "    %s\n", o)
		}
	}
	for name, b := range map[string][]byte{"ops.log": ops.Bytes(), "violations.log": vs.Bytes()} {
		if err := os.WriteFile(filepath.Join(h.work, name), b, 0o644); err != nil {
			h.t.Log(err)
		}
	}
}

// ---- small helpers ----

// recoveryKeys picks the paths out of a failed start-up's
// "recover <op> <path>: …" message.
func recoveryKeys(err error) []string {
	var keys []string
	for _, f := range strings.Split(err.Error(), "recover ")[1:] {
		if w := strings.Fields(f); len(w) >= 2 {
			keys = append(keys, strings.TrimSuffix(w[1], ":"))
		}
	}
	return keys
}

func pvalsOf(r *resource) []string {
	var out []string
	for i := 1; i <= 5; i++ {
		v, ok := r.props[fmt.Sprintf("P%d", i)]
		if !ok {
			v = "<absent>"
		}
		out = append(out, v)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// tail returns the last n bytes of a file, for error messages.
func tail(file string, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	return string(b[max(0, len(b)-n):])
}

// ocChecksum finds "ALGO:hex" fields in oc:checksums' inner XML.
var ocChecksum = regexp.MustCompile(`\b(SHA1|MD5):([0-9a-f]+)`)

// checkChecksums checks that the checksums the server reports for a file
// (if any: a crash may leave a file without them) are those of the bytes
// it serves, never those of an older content.
func (h *harness) checkChecksums(l *life, r *resource, body []byte) {
	if r.checksums == "" {
		return
	}
	h.checked.checksums++
	want := map[string]string{"SHA1": fmt.Sprintf("%x", sha1.Sum(body)), "MD5": fmt.Sprintf("%x", md5.Sum(body))}
	found := ocChecksum.FindAllStringSubmatch(r.checksums, -1)
	if len(found) == 0 {
		h.violLocked(l, "bad-checksums", fmt.Sprintf("%s: oc:checksums %q names neither SHA1 nor MD5", r.path, r.checksums), r.path)
	}
	for _, m := range found {
		if want[m[1]] != m[2] {
			h.violLocked(l, "stale-checksum", fmt.Sprintf("%s: oc:checksums %s:%s, the content's is %s", r.path, m[1], m[2], want[m[1]]), r.path)
		}
	}
}

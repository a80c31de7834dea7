package crashtest

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The live-property mode (DESIGN §4): PROPPATCHes that set settable live
// properties and dead ones together. Each sets a file's
// Win32LastModifiedTime to a time T and its dead urn:crash:mt to T's Unix
// seconds, and Apache's executable to T or F with urn:crash:x the same.
// After every restart the verifier reads the dead properties (PROPFIND)
// and the file itself (stat of the served folder) and checks they agree.
var flagLive = flag.Bool("live", true, "also drive the live-property stream: PROPPATCHes setting Win32LastModifiedTime and executable with dead properties, checked to agree after every restart")

const (
	nLive    = 6                    // /l/l00.. : files whose live properties are set
	livePct  = 15                   // percent of the workload's requests
	liveBase = 978307200            // 2001-01-01T00:00:00Z: the earliest T
	liveSpan = 20 * 365 * 24 * 3600 // T lies within 20 years of liveBase
)

// liveBody sets Win32LastModifiedTime and urn:crash:mt to the same time,
// and executable and urn:crash:x to the same T or F, in a random order.
func liveBody(secs int64, exec bool, rng *rand.Rand) []byte {
	xv := "F"
	if exec {
		xv = "T"
	}
	parts := []string{
		"<W:Win32LastModifiedTime>" + time.Unix(secs, 0).UTC().Format(http.TimeFormat) + "</W:Win32LastModifiedTime>",
		"<c:mt>" + strconv.FormatInt(secs, 10) + "</c:mt>",
		"<A:executable>" + xv + "</A:executable>",
		"<c:x>" + xv + "</c:x>",
	}
	rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	return []byte(`<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:c="` + ns +
		`" xmlns:W="urn:schemas-microsoft-com:" xmlns:A="http://apache.org/dav/props/"><D:set><D:prop>` +
		strings.Join(parts, "") + `</D:prop></D:set></D:propertyupdate>`)
}

// liveVal is the tracked value of a live file: "<secs> <T|F>".
func liveVal(secs int64, exec bool) string {
	if exec {
		return strconv.FormatInt(secs, 10) + " T"
	}
	return strconv.FormatInt(secs, 10) + " F"
}

// setupLive creates the live files and gives each a first T, acknowledged.
func (h *harness) setupLive(l *life) {
	if !*flagLive {
		return
	}
	ctx := context.Background()
	if x := h.do(ctx, l, "MKCOL", "/l", nil); x.status != http.StatusCreated {
		h.t.Fatalf("setup: MKCOL /l: %d %v", x.status, x.err)
	}
	rng := rand.New(rand.NewPCG(h.seed, 1<<41))
	for i := range nLive {
		p := fmt.Sprintf("/l/l%02d", i)
		if x := h.do(ctx, l, "PUT", p, []byte("live file\n")); x.status != http.StatusCreated {
			h.t.Fatalf("setup: PUT %s: %d %v", p, x.status, x.err)
		}
		secs := int64(liveBase + i)
		x := h.do(ctx, l, "PROPPATCH", p, liveBody(secs, false, rng))
		if h.judgeProppatch(x, 4, p) != acked {
			h.t.Fatalf("setup: PROPPATCH %s not committed: %d\n%s", p, x.status, x.body)
		}
		h.live[p] = &tracker{base: liveVal(secs, false)}
	}
}

// liveProppatch sets a live file's mtime and execute bit with their dead
// twins, all in one PROPPATCH.
func (w *worker) liveProppatch(ctx context.Context) {
	p := fmt.Sprintf("/l/l%02d", w.rng.IntN(nLive))
	secs, exec := int64(liveBase+w.rng.IntN(liveSpan)), w.rng.IntN(2) == 0
	w.record(w.h.live, p, w.send(ctx, "live-props", "PROPPATCH", p, "", liveVal(secs, exec), liveBody(secs, exec, w.rng)))
}

// checkLive checks a live file after a restart: its dead urn:crash:mt and
// urn:crash:x agree with its mtime and execute bit on disk (all or none
// across the crash), and hold a value an acknowledged PROPPATCH allows
// (durable once acknowledged). Then the tracker is rebased.
func (h *harness) checkLive(l *life, r *resource) {
	tr := h.live[r.path]
	if tr == nil {
		h.violLocked(l, "unknown-live-file", r.path+" was never created", r.path)
		return
	}
	h.checked.live++
	fi, err := os.Stat(filepath.Join(h.root, filepath.FromSlash(r.path)))
	if err != nil {
		h.violLocked(l, "live-file-missing", fmt.Sprintf("%s: %v", r.path, err), r.path)
		return
	}
	exec := fi.Mode().Perm()&0o100 != 0
	disk := liveVal(fi.ModTime().Unix(), exec)
	dead := r.props["mt"] + " " + r.props["x"]
	if fi.ModTime().Nanosecond() != 0 || disk != dead {
		h.violLocked(l, "live-disagrees", fmt.Sprintf("%s: dead urn:crash:mt,x = %q but the file has mtime %s (%d) and mode %v",
			r.path, dead, fi.ModTime().UTC().Format(time.RFC3339Nano), fi.ModTime().Unix(), fi.Mode().Perm()), r.path, dead, disk)
	}
	if !contains(tr.allowed(), dead) {
		h.violLocked(l, "lost-live-proppatch", fmt.Sprintf("%s holds %q; allowed after the kill: %q", r.path, dead, tr.allowed()), r.path, dead)
	}
	tr.base, tr.writes = dead, nil
}

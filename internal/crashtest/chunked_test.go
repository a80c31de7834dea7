package crashtest

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// The chunked-upload mode (issue 14): Nextcloud chunked uploads of new
// versions of the files /c/cNN, each a MKCOL of an upload folder
// (/remote.php/dav/uploads/…, the Nextcloud layout's URL; the server
// runs with anonymous access only, so any user name there is the
// anonymous principal), its chunks PUT in a random order (one sometimes
// first sent wrong and then retried) and a MOVE of .file onto the file.
// Only the MOVE changes the file, so it is the tracked write. After every
// restart each /c/cNN must hold one whole version (the sha256 first line
// checks the rest: chunks of two versions, or a torn assembly, fail it)
// that the MOVEs sent allow: the old one or the new one, never a mix, an
// acknowledged MOVE never lost.
var flagChunked = flag.Bool("chunked", true, "also drive chunked uploads (MKCOL, chunk PUTs, MOVE .file) onto /c/cNN, checked to hold the old or the new version after every restart")

const (
	nChunked    = 4  // /c/c00.. : files replaced by chunked uploads
	chunkedPct  = 10 // percent of the workload's requests (each a whole upload)
	maxChunks   = 5
	chunkedPad  = 192 << 10 // an upload's content is up to this much bigger than a PUT's
	uploadsPath = "/remote.php/dav/uploads/anonymous"
	filesPath   = "/remote.php/dav/files/anonymous"
)

// setupChunked creates the files chunked uploads replace, the first one
// through a chunked upload itself, so a server that does not route the
// upload URLs fails here rather than passing with nothing checked.
func (h *harness) setupChunked(l *life) {
	h.chunked = map[string]*tracker{}
	if !*flagChunked {
		return
	}
	ctx := context.Background()
	if x := h.do(ctx, l, "MKCOL", "/c", nil); x.status != http.StatusCreated {
		h.t.Fatalf("setup: MKCOL /c: %d %v", x.status, x.err)
	}
	h.t.Cleanup(func() {
		h.t.Logf("chunked mode: %d chunked-upload files read after restarts", h.chunkedRead)
	})
	rng := rand.New(rand.NewPCG(h.seed, 1<<42))
	for i := range nChunked {
		p, ver := fmt.Sprintf("/c/c%02d", i), fmt.Sprintf("init-%02d", i)
		body := content(fmt.Sprintf("c-%02d", i), ver, rng)
		if i > 0 {
			if x := h.do(ctx, l, "PUT", p, body); x.status != http.StatusCreated {
				h.t.Fatalf("setup: PUT %s: %d %v", p, x.status, x.err)
			}
		} else {
			up := uploadsPath + "/setup"
			for _, s := range []struct {
				method, p string
				body      []byte
				hdr       []string
				want      int
			}{
				{"MKCOL", up, nil, []string{"Destination", l.base + filesPath + p}, http.StatusCreated},
				{"PUT", up + "/1", body, nil, http.StatusCreated},
				{"MOVE", up + "/.file", nil, []string{"Destination", l.base + filesPath + p}, http.StatusCreated},
			} {
				if x := h.do(ctx, l, s.method, s.p, s.body, s.hdr...); x.status != s.want {
					h.t.Fatalf("setup: chunked upload to %s: %s %s: %d, want %d %v\n%s", p, s.method, s.p, x.status, s.want, x.err, x.body)
				}
			}
		}
		h.chunked[p] = &tracker{base: ver}
	}
}

// chunkedUpload replaces a /c file with a new version through a chunked
// upload in the worker's own upload folder (one upload at a time per
// worker, so at most one folder each is left by a kill): DELETE of what
// a kill left, MKCOL, the chunks, MOVE .file. Half the uploads name their
// chunks 1..n (chunking v2, with Destination and OC-Total-Length), half
// by byte range as rclone does.
func (w *worker) chunkedUpload(ctx context.Context) {
	i := w.rng.IntN(nChunked)
	p, ver := fmt.Sprintf("/c/c%02d", i), w.h.token()
	body := padContent(content(fmt.Sprintf("c-%02d", i), ver, w.rng), w.rng.IntN(chunkedPad), w.rng)
	up := fmt.Sprintf("%s/crash-w%d", uploadsPath, w.id)
	if w.send(ctx, "chunk-abort", "DELETE", up, "", "", nil).outcome == uncertain {
		return
	}
	v2 := w.rng.IntN(2) == 0
	if w.send(ctx, "chunk-mkcol", "MKCOL", up, "", "", nil).outcome != acked {
		return
	}
	for _, c := range w.split(body, v2) {
		if w.rng.IntN(6) == 0 { // a first try of wrong bytes, replaced by the retry
			wrong := make([]byte, len(c.body))
			if w.send(ctx, "chunk-put", "PUT", up+"/"+c.name, "", "", wrong).outcome == uncertain {
				return
			}
		}
		if w.send(ctx, "chunk-put", "PUT", up+"/"+c.name, "", "", c.body).outcome != acked {
			return
		}
	}
	if w.rng.IntN(10) == 0 {
		w.send(ctx, "chunk-abort", "DELETE", up, "", "", nil)
		return
	}
	w.record(w.h.chunked, p, w.send(ctx, "chunk-move", "MOVE", up+"/.file", filesPath+p, ver, nil))
}

// padContent rebuilds a content body with extra more bytes of filler,
// keeping its checksum line right.
func padContent(b []byte, extra int, rng *rand.Rand) []byte {
	_, rest, _ := strings.Cut(string(b), "\n")
	const filler = "abcdefghijklmnopqrstuvwxyz0123456789\n"
	pad := make([]byte, extra)
	for i := range pad {
		pad[i] = filler[rng.IntN(len(filler))]
	}
	all := append([]byte(rest), pad...)
	sum := sha256.Sum256(all)
	return append(fmt.Appendf(nil, "sha256=%x\n", sum), all...)
}

// chunkPart is one chunk to send: its name and bytes.
type chunkPart struct {
	name string
	body []byte
}

// split cuts body into 1..maxChunks chunks, named 1..n (v2) or by byte
// range, in a random sending order.
func (w *worker) split(body []byte, v2 bool) []chunkPart {
	n := 1 + w.rng.IntN(maxChunks)
	cuts := []int{0}
	for k := 1; k < n; k++ {
		cuts = append(cuts, w.rng.IntN(len(body)+1))
	}
	cuts = append(cuts, len(body))
	sortInts(cuts)
	var parts []chunkPart
	for k := 0; k+1 < len(cuts); k++ {
		a, b := cuts[k], cuts[k+1]
		if a == b && !v2 {
			continue // a range names at least one byte
		}
		name := strconv.Itoa(len(parts) + 1)
		if !v2 {
			name = fmt.Sprintf("%015d-%015d", a, b-1)
		}
		parts = append(parts, chunkPart{name: name, body: body[a:b]})
	}
	w.rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	return parts
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// checkChunked checks a /c file after a restart: one whole version of its
// own content (never chunks of two uploads, never a torn assembly), one
// the MOVEs sent allow; then rebases the tracker.
func (h *harness) checkChunked(l *life, r *resource) {
	tr := h.chunked[r.path]
	if tr == nil {
		h.violLocked(l, "unknown-chunked-file", r.path+" was never created", r.path)
		return
	}
	h.chunkedRead++
	_, id, ver, ok := h.readContent(l, r.path, "torn-assembly")
	if !ok {
		return
	}
	if want := "c-" + strings.TrimPrefix(r.path, "/c/c"); id != want {
		h.violLocked(l, "misplaced-assembly", fmt.Sprintf("%s holds content %s", r.path, id), r.path, id)
	}
	if !contains(tr.allowed(), ver) {
		h.violLocked(l, "lost-chunked-upload", fmt.Sprintf("%s holds %q; allowed after the kill: %q", r.path, ver, tr.allowed()), r.path, ver)
	}
	tr.base, tr.writes = ver, nil
}

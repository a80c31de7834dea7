package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
)

// mixed is what a sync client does to its own folder: list it with the
// properties it compares (PROPFIND Depth 1), download, upload, rename and
// delete files, and upload deleted ones again.
type mixed struct {
	cl     *client
	dir    string
	folder []mixedFolder // per client; only that client's goroutine touches its own
}

// mixedFolder is one client's view of its folder: slot i holds the current
// name of the i-th file, "" while it is deleted.
type mixedFolder struct {
	dir   string
	names []string
	gen   int64
}

const (
	mixedFiles = 32
	mixedSize  = 16 << 10
)

// The mix, in percent of operations on a file that exists; an operation
// that picks a deleted file uploads it again.
const (
	mixPropfind = 20
	mixGet      = 35
	mixPut      = 25
	mixMove     = 10
	// the remaining 10 % delete
)

const syncPropfindBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/><D:getlastmodified/><D:getcontentlength/></D:prop></D:propfind>`

func prepareMixed(ctx context.Context, e *env) (workload, error) {
	w := &mixed{cl: e.cl, dir: e.dir, folder: make([]mixedFolder, e.clients)}
	for c := range w.folder {
		f := &w.folder[c]
		f.dir = joinPath(e.dir, ClientFolder(c))
		if err := e.cl.mkcol(ctx, f.dir); err != nil {
			return nil, fmt.Errorf("bench: creating fixtures: %w", err)
		}
		f.names = make([]string, mixedFiles)
		for i := range f.names {
			f.names[i] = FileName(i)
		}
	}
	err := parallel(ctx, e.clients*mixedFiles, func(ctx context.Context, i int) error {
		f := &w.folder[i/mixedFiles]
		return e.cl.put(ctx, joinPath(f.dir, f.names[i%mixedFiles]), mixedSize, int64(i)*mixedSize)
	})
	return w, err
}

func (w *mixed) op(ctx context.Context, c int, n int64, rng *rand.Rand) (int64, error) {
	f := &w.folder[c]
	slot := rng.IntN(mixedFiles)
	if f.names[slot] == "" {
		f.gen++
		name := fmt.Sprintf("s%02d-g%06d.dat", slot, f.gen)
		if err := w.cl.put(ctx, joinPath(f.dir, name), mixedSize, n); err != nil {
			return 0, err
		}
		f.names[slot] = name
		return mixedSize, nil
	}
	path := joinPath(f.dir, f.names[slot])
	switch r := rng.IntN(100); {
	case r < mixPropfind:
		return w.list(ctx, f)
	case r < mixPropfind+mixGet:
		return sizedGet(ctx, w.cl, path, mixedSize)
	case r < mixPropfind+mixGet+mixPut:
		if err := w.cl.put(ctx, path, mixedSize, n); err != nil {
			return 0, err
		}
		return mixedSize, nil
	case r < mixPropfind+mixGet+mixPut+mixMove:
		f.gen++
		name := fmt.Sprintf("s%02d-g%06d.dat", slot, f.gen)
		_, err := w.cl.do(ctx, request{method: "MOVE", path: path,
			header: []string{"Destination", w.cl.url(joinPath(f.dir, name)), "Overwrite", "F"},
			want:   []int{http.StatusCreated}})
		if err != nil {
			return 0, err
		}
		f.names[slot] = name
		return 0, nil
	default:
		if err := w.cl.delete(ctx, path); err != nil {
			return 0, err
		}
		f.names[slot] = ""
		return 0, nil
	}
}

// list is the sync client's PROPFIND Depth 1 of its folder; the number of
// responses must match the files it holds.
func (w *mixed) list(ctx context.Context, f *mixedFolder) (int64, error) {
	rp, err := w.cl.do(ctx, request{method: "PROPFIND", path: f.dir + "/", body: strings.NewReader(syncPropfindBody),
		size: int64(len(syncPropfindBody)), header: append([]string{"Depth", "1"}, xmlHeader...),
		want: []int{http.StatusMultiStatus}, keep: true})
	if err != nil {
		return 0, err
	}
	defer putBuf(rp.body)
	want := 1
	for _, n := range f.names {
		if n != "" {
			want++
		}
	}
	if got := countClosing(rp.body.Bytes(), "response"); got != want {
		return 0, fmt.Errorf("PROPFIND %s/: %d responses, want %d", f.dir, got, want)
	}
	return int64(len(syncPropfindBody)) + rp.n, nil
}

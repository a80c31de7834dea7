package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
)

const lockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>davbench</D:href></D:owner></D:lockinfo>`

// lockUnlock locks each client's own file and unlocks it again: one
// operation is the pair (RFC 4918 §9.10, §9.11).
type lockUnlock struct {
	cl  *client
	dir string
}

func prepareLockUnlock(ctx context.Context, e *env) (workload, error) {
	err := parallel(ctx, e.clients, func(ctx context.Context, i int) error {
		return e.cl.put(ctx, joinPath(e.dir, FileName(i)), 0, 0)
	})
	return &lockUnlock{cl: e.cl, dir: e.dir}, err
}

func (w *lockUnlock) op(ctx context.Context, c int, _ int64, _ *rand.Rand) (int64, error) {
	path := joinPath(w.dir, FileName(c))
	rp, err := w.cl.do(ctx, request{method: "LOCK", path: path, body: strings.NewReader(lockBody), size: int64(len(lockBody)),
		header: append([]string{"Depth", "0", "Timeout", "Second-60"}, xmlHeader...), want: []int{http.StatusOK}})
	if err != nil {
		return 0, err
	}
	tok := rp.header.Get("Lock-Token")
	if tok == "" {
		return 0, fmt.Errorf("LOCK %s: no Lock-Token header", path)
	}
	up, err := w.cl.do(ctx, request{method: "UNLOCK", path: path, header: []string{"Lock-Token", tok},
		want: []int{http.StatusNoContent, http.StatusOK}})
	if err != nil {
		return 0, err
	}
	return int64(len(lockBody)) + rp.n + up.n, nil
}

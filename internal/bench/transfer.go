package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
)

// sizedGet is a GET that must return exactly want bytes.
func sizedGet(ctx context.Context, cl *client, path string, want int64) (int64, error) {
	rp, err := cl.do(ctx, request{method: "GET", path: path, want: []int{http.StatusOK}})
	if err != nil {
		return 0, err
	}
	if rp.n != want {
		return 0, fmt.Errorf("GET %s: %d bytes, want %d", path, rp.n, want)
	}
	return rp.n, nil
}

// getLarge reads one large file, again and again.
type getLarge struct {
	cl   *client
	path string
	size int64
}

func prepareGetLarge(ctx context.Context, e *env) (workload, error) {
	w := &getLarge{cl: e.cl, path: joinPath(e.dir, "large.dat"), size: e.cfg.LargeSize}
	if err := e.cl.put(ctx, w.path, w.size, 0); err != nil {
		return nil, fmt.Errorf("bench: creating fixtures: %w", err)
	}
	return w, nil
}

func (w *getLarge) op(ctx context.Context, _ int, _ int64, _ *rand.Rand) (int64, error) {
	return sizedGet(ctx, w.cl, w.path, w.size)
}

// putLarge uploads a large file over the client's own one.
type putLarge struct {
	cl   *client
	dir  string
	size int64
}

func preparePutLarge(_ context.Context, e *env) (workload, error) {
	return &putLarge{cl: e.cl, dir: e.dir, size: e.cfg.PutLargeSize}, nil
}

func (w *putLarge) op(ctx context.Context, c int, n int64, _ *rand.Rand) (int64, error) {
	if err := w.cl.put(ctx, joinPath(w.dir, ClientFolder(c)+".dat"), w.size, n); err != nil {
		return 0, err
	}
	return w.size, nil
}

// getSmall reads small files at random.
type getSmall struct {
	cl    *client
	dir   string
	files int
}

func prepareGetSmall(ctx context.Context, e *env) (workload, error) {
	w := &getSmall{cl: e.cl, dir: e.dir, files: e.cfg.SmallFiles}
	err := parallel(ctx, w.files, func(ctx context.Context, i int) error {
		return e.cl.put(ctx, joinPath(e.dir, FileName(i)), SmallSize, int64(i)*SmallSize)
	})
	return w, err
}

func (w *getSmall) op(ctx context.Context, _ int, _ int64, rng *rand.Rand) (int64, error) {
	return sizedGet(ctx, w.cl, joinPath(w.dir, FileName(rng.IntN(w.files))), SmallSize)
}

// putSmall creates a new small file with every operation.
type putSmall struct {
	cl  *client
	dir string
}

func preparePutSmall(_ context.Context, e *env) (workload, error) {
	return &putSmall{cl: e.cl, dir: e.dir}, nil
}

func (w *putSmall) op(ctx context.Context, c int, n int64, _ *rand.Rand) (int64, error) {
	path := joinPath(w.dir, NewFileName(c, n))
	_, err := w.cl.do(ctx, request{method: "PUT", path: path, body: payload(SmallSize, n*SmallSize+int64(c)),
		size: SmallSize, header: []string{"Content-Type", "application/octet-stream"}, want: []int{http.StatusCreated}})
	if err != nil {
		return 0, err
	}
	return SmallSize, nil
}

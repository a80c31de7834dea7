package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// ChunkSize is put-chunked's chunk: rclone's and the Nextcloud clients'
// default, 10 MiB.
const ChunkSize = 10 << 20

// putChunked uploads the put-large file as Nextcloud's clients and rclone
// (vendor nextcloud) do, over the client's own file: MKCOL of an upload
// folder under /remote.php/dav/uploads/USER/, a PUT per ChunkSize chunk,
// then MOVE of its .file onto /remote.php/dav/files/USER/…, which
// assembles them. It needs the Nextcloud URL layout and a user whose view
// is the whole share (or anonymous access with no users configured); it
// is not part of "all" and has no Apache counterpart.
type putChunked struct {
	cl          *client
	dir         string
	size, chunk int64
	user        string
}

func preparePutChunked(_ context.Context, e *env) (workload, error) {
	user := e.cfg.User
	if user == "" {
		user = "anonymous" // any name, when the server has no users
	}
	return &putChunked{cl: e.cl, dir: e.dir, size: e.cfg.PutLargeSize, chunk: ChunkSize, user: user}, nil
}

func (w *putChunked) op(ctx context.Context, c int, n int64, _ *rand.Rand) (int64, error) {
	up := fmt.Sprintf("/remote.php/dav/uploads/%s/davbench-%s-%d", w.user, ClientFolder(c), n)
	dest := w.cl.url(joinPath("/remote.php/dav/files/"+w.user+w.dir, ClientFolder(c)+".dat"))
	hdr := []string{"Destination", dest, "OC-Total-Length", strconv.FormatInt(w.size, 10)}
	if _, err := w.cl.do(ctx, request{method: "MKCOL", path: up, header: hdr, want: []int{http.StatusCreated}}); err != nil {
		return 0, err
	}
	for i, off := 1, int64(0); off < w.size; i, off = i+1, off+w.chunk {
		size := min(w.chunk, w.size-off)
		_, err := w.cl.do(ctx, request{method: "PUT", path: joinPath(up, strconv.Itoa(i)), body: payload(size, n+off), size: size,
			header: append([]string{"Content-Type", "application/octet-stream"}, hdr...), want: putOK})
		if err != nil {
			return 0, err
		}
	}
	if _, err := w.cl.do(ctx, request{method: "MOVE", path: joinPath(up, ".file"), header: hdr, want: putOK}); err != nil {
		return 0, err
	}
	return w.size, nil
}

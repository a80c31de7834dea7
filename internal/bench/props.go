package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// propNS is the namespace of the dead properties davbench sets.
const propNS = "urn:x-davbench:"

// deadProps is how many dead properties a PROPPATCH sets.
const deadProps = 4

// filesPerClient is how many files each proppatch client cycles through.
const filesPerClient = 8

// propFiles is how many files propfind-dead reads the properties of.
const propFiles = 256

var xmlHeader = []string{"Content-Type", "application/xml; charset=utf-8"}

// setBody returns a propertyupdate setting the dead properties to values
// that name the writer, so every request changes them.
func setBody(tag string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<D:propertyupdate xmlns:D="DAV:" xmlns:b="` + propNS + `"><D:set><D:prop>`)
	for i := range deadProps {
		fmt.Fprintf(&b, `<b:p%d>value %d of %s</b:p%d>`, i, i, tag, i)
	}
	b.WriteString(`</D:prop></D:set></D:propertyupdate>`)
	return b.String()
}

// propfindDeadBody asks for the dead properties by name.
var propfindDeadBody = func() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<D:propfind xmlns:D="DAV:" xmlns:b="` + propNS + `"><D:prop>`)
	for i := range deadProps {
		fmt.Fprintf(&b, `<b:p%d/>`, i)
	}
	b.WriteString(`</D:prop></D:propfind>`)
	return b.String()
}()

const allpropBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`

// multistatus sends a request answered by a 207 and checks that every
// status in it is 200; it returns the body bytes moved.
func multistatus(ctx context.Context, cl *client, method, path, body string, hdr ...string) (int64, error) {
	rp, err := cl.do(ctx, request{method: method, path: path, body: strings.NewReader(body), size: int64(len(body)),
		header: append(hdr, xmlHeader...), want: []int{http.StatusMultiStatus}, keep: true})
	if err != nil {
		return 0, err
	}
	defer putBuf(rp.body)
	if _, err := checkAllOK(rp.body.Bytes()); err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return int64(len(body)) + rp.n, nil
}

// proppatch sets dead properties, each client on its own files.
type proppatch struct {
	cl  *client
	dir string
}

func prepareProppatch(ctx context.Context, e *env) (workload, error) {
	err := parallel(ctx, e.clients*filesPerClient, func(ctx context.Context, i int) error {
		return e.cl.put(ctx, joinPath(e.dir, FileName(i)), 0, 0)
	})
	return &proppatch{cl: e.cl, dir: e.dir}, err
}

func (w *proppatch) op(ctx context.Context, c int, n int64, _ *rand.Rand) (int64, error) {
	path := joinPath(w.dir, FileName(c*filesPerClient+int(n%filesPerClient)))
	return multistatus(ctx, w.cl, "PROPPATCH", path, setBody("client "+strconv.Itoa(c)+" op "+strconv.FormatInt(n, 10)))
}

// propfindDead reads the dead properties of files at random.
type propfindDead struct {
	cl  *client
	dir string
}

func preparePropfindDead(ctx context.Context, e *env) (workload, error) {
	err := parallel(ctx, propFiles, func(ctx context.Context, i int) error {
		path := joinPath(e.dir, FileName(i))
		if err := e.cl.put(ctx, path, 0, 0); err != nil {
			return err
		}
		_, err := multistatus(ctx, e.cl, "PROPPATCH", path, setBody("fixture "+strconv.Itoa(i)))
		return err
	})
	return &propfindDead{cl: e.cl, dir: e.dir}, err
}

func (w *propfindDead) op(ctx context.Context, _ int, _ int64, rng *rand.Rand) (int64, error) {
	return multistatus(ctx, w.cl, "PROPFIND", joinPath(w.dir, FileName(rng.IntN(propFiles))), propfindDeadBody, "Depth", "0")
}

// propfindD1 lists a large folder with all its properties.
type propfindD1 struct {
	cl    *client
	dir   string
	files int
}

// d1FileSize is the size of each file of propfind-d1's folder.
const d1FileSize = 1 << 10

func preparePropfindD1(ctx context.Context, e *env) (workload, error) {
	w := &propfindD1{cl: e.cl, dir: joinPath(e.dir, "big"), files: e.cfg.Files}
	if err := e.cl.mkcol(ctx, w.dir); err != nil {
		return nil, fmt.Errorf("bench: creating fixtures: %w", err)
	}
	err := parallel(ctx, w.files, func(ctx context.Context, i int) error {
		return e.cl.put(ctx, joinPath(w.dir, FileName(i)), d1FileSize, int64(i)*d1FileSize)
	})
	return w, err
}

func (w *propfindD1) op(ctx context.Context, _ int, _ int64, _ *rand.Rand) (int64, error) {
	path := w.dir + "/"
	rp, err := w.cl.do(ctx, request{method: "PROPFIND", path: path, body: strings.NewReader(allpropBody),
		size: int64(len(allpropBody)), header: append([]string{"Depth", "1"}, xmlHeader...),
		want: []int{http.StatusMultiStatus}, keep: true})
	if err != nil {
		return 0, err
	}
	defer putBuf(rp.body)
	if got := countClosing(rp.body.Bytes(), "response"); got != w.files+1 {
		return 0, fmt.Errorf("PROPFIND %s: %d responses, want %d", path, got, w.files+1)
	}
	return int64(len(allpropBody)) + rp.n, nil
}

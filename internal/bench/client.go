package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrStatus is wrapped by the error of a request answered with a status
// the scenario did not expect.
var ErrStatus = errors.New("bench: unexpected status")

// client sends the requests of one Bench to one server.
type client struct {
	hc         *http.Client
	base       *url.URL // the share's URL, its path without a trailing slash
	user, pass string
}

// newClient returns a client for base whose transport keeps conns idle
// connections per host, so every benchmark client reuses its own.
func newClient(base string, user, pass string, conns int, timeout time.Duration) (*client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("bench: url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("bench: url %q: want http://host[:port]/path", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	tr := &http.Transport{
		Proxy:               nil, // measure the server, never a proxy in between
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
	}
	return &client{
		hc: &http.Client{
			Transport:     tr,
			Timeout:       timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		base: u, user: user, pass: pass,
	}, nil
}

// url returns the absolute URL of path, a URL path under the share.
func (c *client) url(path string) string {
	u := *c.base
	u.Path += path
	u.RawPath = ""
	return u.String()
}

// request is one request to send.
type request struct {
	method string
	path   string    // under the share, starting with /
	body   io.Reader // nil for none
	size   int64     // body length
	header []string  // name, value pairs
	want   []int     // statuses that mean success
	keep   bool      // keep the response body (else it is counted and dropped)
}

// reply is what came back: the body is only kept when asked for.
type reply struct {
	status int
	header http.Header
	body   *bytes.Buffer // nil unless request.keep; return it with putBuf
	n      int64         // body bytes read
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuf returns a kept body to the pool.
func putBuf(b *bytes.Buffer) {
	if b != nil && b.Cap() <= 16<<20 {
		b.Reset()
		bufs.Put(b)
	}
}

var discardBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// do sends rq and reads its whole response. A status outside rq.want is
// an error wrapping ErrStatus; the reply is returned with it.
func (c *client) do(ctx context.Context, rq request) (reply, error) {
	body := rq.body
	if body == nil || rq.size == 0 {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, c.url(rq.path), body)
	if err != nil {
		return reply{}, err
	}
	req.ContentLength = rq.size
	if rq.size == 0 {
		req.ContentLength = 0
	}
	for i := 0; i+1 < len(rq.header); i += 2 {
		req.Header.Set(rq.header[i], rq.header[i+1])
	}
	if c.user != "" || c.pass != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	rp := reply{status: resp.StatusCode, header: resp.Header}
	if !slices.Contains(rq.want, rp.status) {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return rp, fmt.Errorf("%w: %s %s: %d %s", ErrStatus, rq.method, rq.path, rp.status, snippet(head))
	}
	if rq.keep {
		rp.body = bufs.Get().(*bytes.Buffer)
		rp.n, err = rp.body.ReadFrom(resp.Body)
	} else {
		b := discardBufs.Get().(*[]byte)
		rp.n, err = io.CopyBuffer(writerOnly{io.Discard}, resp.Body, *b)
		discardBufs.Put(b)
	}
	if err != nil {
		putBuf(rp.body)
		return reply{status: rp.status}, fmt.Errorf("%s %s: reading the response: %w", rq.method, rq.path, err)
	}
	return rp, nil
}

// writerOnly hides io.Discard's ReaderFrom so CopyBuffer uses our buffer.
type writerOnly struct{ io.Writer }

// snippet returns the start of a body, on one line, for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// mkcol creates the collection at path.
func (c *client) mkcol(ctx context.Context, path string) error {
	_, err := c.do(ctx, request{method: "MKCOL", path: path + "/", want: []int{http.StatusCreated}})
	return err
}

// put uploads size bytes of content from offset off of the block to path.
func (c *client) put(ctx context.Context, path string, size, off int64) error {
	_, err := c.do(ctx, request{method: "PUT", path: path, body: payload(size, off), size: size,
		header: []string{"Content-Type", "application/octet-stream"}, want: putOK})
	return err
}

// delete removes path, a file or a whole collection.
func (c *client) delete(ctx context.Context, path string) error {
	_, err := c.do(ctx, request{method: "DELETE", path: path, want: []int{http.StatusOK, http.StatusNoContent}})
	return err
}

// putOK are the statuses of a successful PUT: created, or replaced.
var putOK = []int{http.StatusCreated, http.StatusNoContent, http.StatusOK}

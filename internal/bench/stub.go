package bench

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NewStub returns the in-memory WebDAV server that Compare measures as
// the net/http floor: a tree of folders and files in memory behind one
// lock, answering what davbench sends — OPTIONS, GET, HEAD, PUT, MKCOL,
// DELETE, MOVE, PROPFIND (Depth 0 and 1, named properties or allprop),
// PROPPATCH (dead properties kept as text) and LOCK/UNLOCK (exclusive,
// Depth 0) — with the statuses davbench checks and as little work per
// request as that takes: no disk, no durability, no authentication, no
// log, no If header, and locks that block only other LOCKs. It holds every
// upload in memory: it is for loopback benchmarks, never a share.
func NewStub() http.Handler {
	return &stub{root: &stubNode{dir: true, kids: map[string]*stubNode{}, mod: time.Now()}}
}

// ServeStub serves NewStub on ln until ctx ends, then shuts down.
func ServeStub(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: NewStub(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// stub is NewStub's handler: one tree behind one lock.
type stub struct {
	mu    sync.RWMutex
	root  *stubNode
	token uint64 // the last lock token handed out
	ver   uint64 // the last ETag handed out
}

// stubNode is a folder or a file. A file's data is never changed in
// place: PUT stores a new slice, so a GET may send the old one unlocked.
type stubNode struct {
	dir   bool
	kids  map[string]*stubNode
	data  []byte
	mod   time.Time
	etag  string
	props map[xml.Name]string // dead properties, as text
	lock  string              // the token of the lock on it, if any
}

// stubMaxBody bounds one upload the stub keeps in memory.
const stubMaxBody = 4 << 30

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.Trim(r.URL.Path, "/")
	var code int
	switch r.Method {
	case "OPTIONS":
		w.Header().Set("DAV", "1, 2")
		code = http.StatusOK
	case "GET", "HEAD":
		code = s.get(w, r, p)
	case "PUT":
		code = s.put(r, p)
	case "MKCOL":
		code = s.mkcol(p)
	case "DELETE":
		code = s.delete(p)
	case "MOVE":
		code = s.move(r, p)
	case "PROPFIND":
		code = s.propfind(w, r, p)
	case "PROPPATCH":
		code = s.proppatch(w, r, p)
	case "LOCK":
		code = s.lock(w, r, p)
	case "UNLOCK":
		code = s.unlock(r, p)
	default:
		code = http.StatusMethodNotAllowed
	}
	if code != 0 {
		w.WriteHeader(code)
	}
}

// find returns the node at p and its parent; either may be nil. The
// caller holds s.mu.
func (s *stub) find(p string) (parent, n *stubNode, name string) {
	n = s.root
	for p != "" {
		name, p, _ = strings.Cut(p, "/")
		if n == nil || !n.dir {
			return nil, nil, name
		}
		parent, n = n, n.kids[name]
	}
	return parent, n, name
}

func (s *stub) get(w http.ResponseWriter, r *http.Request, p string) int {
	s.mu.RLock()
	_, n, _ := s.find(p)
	var data []byte
	var etag string
	var mod time.Time
	if n != nil {
		data, etag, mod = n.data, n.etag, n.mod
	}
	s.mu.RUnlock()
	if n == nil {
		return http.StatusNotFound
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("ETag", etag)
	h.Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	if r.Method == "GET" {
		w.Write(data)
	}
	return 0
}

func (s *stub) put(r *http.Request, p string) int {
	var b bytes.Buffer
	if r.ContentLength > stubMaxBody {
		return http.StatusRequestEntityTooLarge
	}
	if r.ContentLength > 0 {
		b.Grow(int(r.ContentLength))
	}
	if _, err := b.ReadFrom(io.LimitReader(r.Body, stubMaxBody)); err != nil {
		return http.StatusBadRequest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, n, name := s.find(p)
	switch {
	case parent == nil || !parent.dir:
		return http.StatusConflict
	case n != nil && n.dir:
		return http.StatusMethodNotAllowed
	case n != nil:
		n.data, n.mod, n.etag = b.Bytes(), time.Now(), s.newETag()
		return http.StatusNoContent
	}
	parent.kids[name] = &stubNode{data: b.Bytes(), mod: time.Now(), etag: s.newETag()}
	return http.StatusCreated
}

// newETag returns a fresh ETag; the caller holds s.mu.
func (s *stub) newETag() string {
	s.ver++
	return `"` + strconv.FormatUint(s.ver, 16) + `"`
}

func (s *stub) mkcol(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, n, name := s.find(p)
	switch {
	case n != nil:
		return http.StatusMethodNotAllowed
	case parent == nil || !parent.dir:
		return http.StatusConflict
	}
	parent.kids[name] = &stubNode{dir: true, kids: map[string]*stubNode{}, mod: time.Now(), etag: s.newETag()}
	return http.StatusCreated
}

func (s *stub) delete(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, n, name := s.find(p)
	if n == nil || parent == nil {
		return http.StatusNotFound
	}
	delete(parent.kids, name)
	return http.StatusNoContent
}

func (s *stub) move(r *http.Request, p string) int {
	u, err := url.Parse(r.Header.Get("Destination"))
	if err != nil || u.Path == "" {
		return http.StatusBadRequest
	}
	dst := strings.Trim(u.Path, "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	from, n, name := s.find(p)
	to, old, newName := s.find(dst)
	switch {
	case n == nil || from == nil:
		return http.StatusNotFound
	case to == nil || !to.dir || dst == p || strings.HasPrefix(dst, p+"/"):
		return http.StatusConflict
	case old != nil && r.Header.Get("Overwrite") == "F":
		return http.StatusPreconditionFailed
	}
	delete(from.kids, name)
	to.kids[newName] = n
	if old != nil {
		return http.StatusNoContent
	}
	return http.StatusCreated
}

func (s *stub) unlock(r *http.Request, p string) int {
	tok := strings.Trim(r.Header.Get("Lock-Token"), "<>")
	s.mu.Lock()
	defer s.mu.Unlock()
	_, n, _ := s.find(p)
	if n == nil || n.lock == "" || n.lock != tok {
		return http.StatusConflict
	}
	n.lock = ""
	return http.StatusNoContent
}

func (s *stub) lock(w http.ResponseWriter, r *http.Request, p string) int {
	if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)); err != nil {
		return http.StatusBadRequest
	}
	s.mu.Lock()
	_, n, _ := s.find(p)
	if n == nil {
		s.mu.Unlock()
		return http.StatusNotFound // no lock-null resources
	}
	if n.lock != "" {
		s.mu.Unlock()
		return http.StatusLocked
	}
	s.token++
	tok := "urn:x-davbench-stub:" + strconv.FormatUint(s.token, 10)
	n.lock = tok
	s.mu.Unlock()
	w.Header().Set("Lock-Token", "<"+tok+">")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+
		`<D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock><D:locktype><D:write/></D:locktype>`+
		`<D:lockscope><D:exclusive/></D:lockscope><D:depth>0</D:depth><D:timeout>Second-60</D:timeout>`+
		`<D:locktoken><D:href>`+tok+`</D:href></D:locktoken><D:lockroot><D:href>`+hrefOf(p, false)+
		`</D:href></D:lockroot></D:activelock></D:lockdiscovery></D:prop>`)
	return 0
}

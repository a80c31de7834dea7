package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"github.com/atomdav/atomdav/storage/postgres"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timing bounds of TestOutageStoreUnreachable.
const (
	outageAnswerWithin = 5 * time.Second  // an answer during the outage, or it hangs
	outageRecoverIn    = 15 * time.Second // the first successful PROPPATCH after the restore
	outagePoll         = 50 * time.Millisecond
)

// pgProxy forwards TCP connections to the test database. Cut closes every
// connection it carries and stops listening, so that new connections are
// refused, as when the database host goes down; Restore listens again on
// the same address. Its methods are safe for concurrent use.
type pgProxy struct {
	target string // the database's host:port
	addr   string // where the proxy listens, the same across cuts

	mu      sync.Mutex // guards ln, stalled and conns
	ln      net.Listener
	stalled bool                  // accept, but forward nothing
	conns   map[net.Conn]struct{} // both ends of every forwarded or held connection
	wg      sync.WaitGroup        // accept loops and pipes
}

// newPGProxy starts a proxy to target, stopped when t ends. It listens on
// a random address in 127.0.0.0/8 other than 127.0.0.1 where it can, so
// that no other test picks its port while it is cut.
func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	p := &pgProxy{target: target, conns: map[net.Conn]struct{}{}}
	var b [3]byte
	rand.Read(b[:])
	ln, err := net.Listen("tcp", fmt.Sprintf("127.%d.%d.%d:0", b[0], b[1], b[2]|2))
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// serve takes ln as the listener and accepts on it until it is closed.
func (p *pgProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.forward(c, ln)
			}()
		}
	}()
}

// forward connects c, accepted on ln, to the database and copies both
// ways until either side ends or the proxy is cut.
func (p *pgProxy) forward(c net.Conn, ln net.Listener) {
	p.mu.Lock()
	if p.stalled {
		// Hold c open, reading and dropping what it sends, until Cut or
		// Restore closes it.
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		io.Copy(io.Discard, c)
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln != ln { // cut since c was accepted
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// Cut closes the listener, so that connections to addr are refused, and
// every connection under way. It does nothing when already cut.
func (p *pgProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return
	}
	p.ln.Close()
	p.ln = nil
	for c := range p.conns {
		c.Close()
	}
}

// Stall closes every connection under way and, from then on, accepts
// connections but holds them without forwarding a byte: a database host
// that takes connections and never answers. Restore ends it.
func (p *pgProxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore ends a stall, closing the connections it held, and listens on
// addr again after a cut. It does nothing when neither happened.
func (p *pgProxy) Restore() error {
	p.mu.Lock()
	cut := p.ln == nil
	if p.stalled {
		p.stalled = false
		for c := range p.conns {
			c.Close()
		}
	}
	p.mu.Unlock()
	if !cut {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("proxy: listening again on %s: %w", p.addr, err)
	}
	p.serve(ln)
	return nil
}

// refused reports whether a connection to the proxy is refused now.
func (p *pgProxy) refused() bool {
	c, err := net.DialTimeout("tcp", p.addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// startBehindProxy starts atomdav on a database of its own reached
// through a pgProxy, and its operations listener. Whatever a test leaves
// the proxy in, it is restored before atomdav stops.
func startBehindProxy(t *testing.T) (*server, string, *pgProxy) {
	t.Helper()
	db := clusterDB(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, u.Host)
	s, ops := startOpsServer(t, t.TempDir(), "--store", viaProxy(t, db, proxy.addr))
	t.Cleanup(func() { proxy.Restore() })
	return s, ops, proxy
}

// viaProxy returns the database URL db with its host replaced by addr.
func viaProxy(t *testing.T, db, addr string) string {
	t.Helper()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// quick sends one request bounded by outageAnswerWithin: an error (a
// timeout among them) means the server did not answer in time.
func (s *server) quick(method, path, body string, hdr ...string) (reply, time.Duration, error) {
	return s.quickWithin(outageAnswerWithin, method, path, body, hdr...)
}

// quickWithin is quick with another bound.
func (s *server) quickWithin(bound time.Duration, method, path, body string, hdr ...string) (reply, time.Duration, error) {
	req, err := s.request(method, path, strings.NewReader(body), hdr...)
	if err != nil {
		return reply{}, 0, err
	}
	c := &http.Client{Timeout: bound, Transport: s.client.Transport}
	began := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, time.Since(began), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, time.Since(began), err
}

// rawProps returns each property element of the 200 propstats of a Depth 0
// PROPFIND answer exactly as the server wrote it, bytes and all, by name.
func rawProps(body []byte) (map[xml.Name]string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	out, found := map[xml.Name]string{}, map[xml.Name]string{}
	var stack []xml.Name // multistatus, response, propstat, prop or status
	var start int64 = -1 // offset of the property element being read
	var cur xml.Name
	ok := false // the propstat being read has status 200
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 4 && stack[3] == davName("prop") {
				start, cur = off, t.Name
			}
			stack = append(stack, t.Name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			switch {
			case len(stack) == 4 && start >= 0:
				found[cur] = string(body[start:d.InputOffset()])
				start = -1
			case len(stack) == 2 && t.Name == davName("propstat"):
				if ok {
					maps.Copy(out, found)
				}
				found, ok = map[xml.Name]string{}, false
			}
		case xml.CharData:
			if len(stack) == 4 && stack[2] == davName("propstat") && stack[3] == davName("status") {
				ok = strings.Contains(string(t), " 200 ")
			}
		}
	}
}

// TestOutageStoreUnreachable cuts the PostgreSQL store off from a running
// atomdav and brings it back: during the outage PROPPATCH and PROPFIND
// answer 503 promptly, the PROPPATCH commits nothing (RFC 4918 §9.2: all
// instructions or none), /readyz says not ready and the process lives on;
// once the database is reachable again the same process writes properties,
// and those set before the outage read back byte for byte as before.
func TestOutageStoreUnreachable(t *testing.T) {
	t.Parallel()
	o := &outage{}
	o.s, o.ops, o.proxy = startBehindProxy(t)
	o.before(t)
	o.during(t)
	o.after(t)
}

// outage is the state of TestOutageStoreUnreachable across its phases.
type outage struct {
	s     *server
	ops   string // the operations listener's base URL
	proxy *pgProxy
	sent  map[xml.Name]string // the dead properties set, as elements
	raw   map[xml.Name]string // the same as PROPFIND wrote them before the outage
}

// outagePropfind asks for the properties the phases set or must not set.
var outagePropfind = propfindBody(zName("color"), zName("note"), zName("lost"), zName("after"))

// before sets two dead properties with the database reachable and reads
// them back.
func (o *outage) before(t *testing.T) {
	o.sent = map[xml.Name]string{
		zName("color"): `<Z:color>blue</Z:color>`,
		zName("note"): `<Z:note xml:lang="fr" Z:kind="a&amp;b"><Y:part xmlns:Y="urn:y">un <Y:b>deux</Y:b></Y:part>` +
			` trois 😀 &lt;four&gt;  </Z:note>`,
	}
	o.s.put(t, "/f.txt", "content")
	wantStatuses(t, o.s.proppatch(t, "/f.txt", update(o.sent[zName("color")], o.sent[zName("note")])),
		map[xml.Name]int{zName("color"): 200, zName("note"): 200})
	r := o.s.do(t, "PROPFIND", "/f.txt", outagePropfind, "Depth", "0")
	wantSent(t, "before the outage", r, o.sent)
	var err error
	if o.raw, err = rawProps(r.Body); err != nil {
		t.Fatal(err)
	}
	if r, err := opsGet(o.ops + "/readyz"); err != nil || r.Status != http.StatusOK {
		t.Fatalf("/readyz before the outage: %v %v", r, err)
	}
}

// during cuts the database off and checks what the server answers.
func (o *outage) during(t *testing.T) {
	o.proxy.Cut()
	if !o.proxy.refused() {
		t.Fatal("the proxy still accepts connections after Cut")
	}
	failed := `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `">` +
		`<D:set><D:prop><Z:lost>written during the outage</Z:lost></D:prop></D:set>` +
		`<D:remove><D:prop><Z:color/></D:prop></D:remove></D:propertyupdate>`
	for _, c := range []struct {
		method, body string
		hdr          []string
	}{{"PROPPATCH", failed, nil}, {"PROPFIND", outagePropfind, []string{"Depth", "0"}}} {
		r, took, err := o.s.quick(c.method, "/f.txt", c.body, c.hdr...)
		if err != nil {
			t.Fatalf("%s during the outage: no answer after %v: %v\nserver output:\n%s", c.method, took.Round(time.Millisecond), err, o.s.Output())
		}
		t.Logf("%s during the outage: %d in %v", c.method, r.Status, took.Round(time.Millisecond))
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("%s during the outage: status %d, want 503\nbody (%d bytes): %q", c.method, r.Status, len(r.Body), r.Body)
		}
	}
	began := time.Now()
	r, err := opsGet(o.ops + "/readyz")
	t.Logf("/readyz during the outage: %d in %v: %s", r.Status, time.Since(began).Round(time.Millisecond), bytes.TrimSpace(r.Body))
	if err != nil || r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %v %v, want 503", r, err)
	}
	if r, err := opsGet(o.ops + "/healthz"); err != nil || r.Status != http.StatusOK {
		t.Errorf("/healthz during the outage: %v %v, want 200 (the process is alive)", r, err)
	}
	select {
	case <-o.s.proc.Done():
		t.Fatalf("atomdav exited during the outage\nserver output:\n%s", o.s.Output())
	default:
	}
}

// after restores the database and polls until a PROPPATCH succeeds, then
// checks that the properties are those of before the outage plus the new
// one, nothing of the failed PROPPATCH, and that /readyz is ready again.
func (o *outage) after(t *testing.T) {
	if err := o.proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	restored := time.Now()
	attempts, failures := 0, map[string]int{}
	for {
		attempts++
		r, _, err := o.s.quick("PROPPATCH", "/f.txt", update(`<Z:after>written after the outage</Z:after>`))
		if err == nil && r.Status == http.StatusMultiStatus {
			ms, err := multistatusOf(r)
			if err != nil {
				t.Fatal(err)
			}
			for _, resp := range ms {
				wantStatuses(t, resp.Props, map[xml.Name]int{zName("after"): 200})
			}
			break
		}
		if err == nil {
			failures[fmt.Sprint(r.Status)]++
		} else {
			failures[err.Error()]++
		}
		if time.Since(restored) > outageRecoverIn {
			t.Fatalf("no PROPPATCH succeeded within %v of the restore; answers: %v\nserver output:\n%s", outageRecoverIn, failures, o.s.Output())
		}
		time.Sleep(outagePoll)
	}
	t.Logf("after the restore: PROPPATCH succeeded at attempt %d, %v later (failed answers: %v)",
		attempts, time.Since(restored).Round(time.Millisecond), failures)

	r := o.s.do(t, "PROPFIND", "/f.txt", outagePropfind, "Depth", "0")
	o.sent[zName("after")] = `<Z:after>written after the outage</Z:after>`
	wantSent(t, "after the outage", r, o.sent)
	raw, err := rawProps(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []xml.Name{zName("color"), zName("note")} {
		if raw[n] == "" || raw[n] != o.raw[n] {
			t.Errorf("{%s}%s as PROPFIND writes it:\nbefore the outage %s\n after the outage %s", n.Space, n.Local, o.raw[n], raw[n])
		}
	}
	for {
		r, err := opsGet(o.ops + "/readyz")
		if err == nil && r.Status == http.StatusOK {
			break
		}
		if time.Since(restored) > outageRecoverIn {
			t.Fatalf("/readyz %v after the restore: %v %v", outageRecoverIn, r, err)
		}
		time.Sleep(outagePoll)
	}
}

// wantSent fails the test unless the PROPFIND answer r gives each property
// of sent (by name, the element as set with Z bound to nsZ) status 200 and
// that value (RFC 4918 §4.3), and every other property it names 404.
func wantSent(t *testing.T, when string, r reply, sent map[xml.Name]string) {
	t.Helper()
	ms := parseMultistatus(t, r)
	if len(ms) != 1 {
		t.Fatalf("PROPFIND %s: %d responses, want 1", when, len(ms))
	}
	for _, resp := range ms {
		for n, el := range sent {
			w, err := parseXML([]byte(strings.Replace(el, ">", ` xmlns:Z="`+nsZ+`">`, 1)))
			if err != nil {
				t.Fatalf("%s: %v", el, err)
			}
			if got := resp.Props[n]; got.Status != http.StatusOK || canon(got.Node) != canon(w) {
				t.Errorf("PROPFIND %s: {%s}%s status %d\n got %s\nwant %s", when, n.Space, n.Local, got.Status, canonOrNil(got.Node), canon(w))
			}
		}
		for n, got := range resp.Props {
			if _, set := sent[n]; !set && got.Status != http.StatusNotFound {
				t.Errorf("PROPFIND %s: {%s}%s status %d %s, want 404 (never set, or set by a failed PROPPATCH)",
					when, n.Space, n.Local, got.Status, canonOrNil(got.Node))
			}
		}
	}
}

// TestOutageDatabaseStalls: a database that accepts connections and never
// answers (a hung host, a half-dead proxy) fails PROPPATCH with 503 within
// the store's connect timeout instead of holding requests for minutes, and
// the same process works again once the database answers.
func TestOutageDatabaseStalls(t *testing.T) {
	t.Parallel()
	s, _, proxy := startBehindProxy(t)
	s.put(t, "/f.txt", "content")
	wantStatuses(t, s.proppatch(t, "/f.txt", update(`<Z:color>blue</Z:color>`)), map[xml.Name]int{zName("color"): 200})

	proxy.Stall()
	// The first request may fail fast on a pooled connection the stall
	// closed; the next must open a connection that never answers.
	bound := postgres.ConnectTimeout + 4*time.Second
	for i := range 2 {
		r, took, err := s.quickWithin(bound, "PROPPATCH", "/f.txt", update(`<Z:lost>during the stall</Z:lost>`))
		if err != nil {
			t.Fatalf("PROPPATCH %d during the stall: no answer within %v: %v\nserver output:\n%s", i+1, bound, err, s.Output())
		}
		t.Logf("PROPPATCH %d during the stall: %d in %v", i+1, r.Status, took.Round(time.Millisecond))
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("PROPPATCH %d during the stall: status %d, want 503", i+1, r.Status)
		}
	}

	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	for restored := time.Now(); ; time.Sleep(outagePoll) {
		r, _, err := s.quick("PROPPATCH", "/f.txt", update(`<Z:after>after the stall</Z:after>`))
		if err == nil && r.Status == http.StatusMultiStatus {
			break
		}
		if time.Since(restored) > outageRecoverIn {
			t.Fatalf("no PROPPATCH succeeded within %v of the end of the stall: %v %v", outageRecoverIn, r.Status, err)
		}
	}
	wantSent(t, "after the stall", s.do(t, "PROPFIND", "/f.txt", propfindBody(zName("color"), zName("lost"), zName("after")), "Depth", "0"),
		map[xml.Name]string{zName("color"): `<Z:color>blue</Z:color>`, zName("after"): `<Z:after>after the stall</Z:after>`})
}

// TestOutageGracefulStop: SIGTERM while the database is unreachable is
// still a clean stop (exit 0): the instance's lease cannot be ended, so it
// expires, and systemd must not see a failure.
func TestOutageGracefulStop(t *testing.T) {
	t.Parallel()
	s, _, proxy := startBehindProxy(t)
	s.put(t, "/f.txt", "content")
	proxy.Cut()
	if err := s.proc.Terminate(20 * time.Second); err != nil {
		t.Errorf("SIGTERM during the outage: %v\nserver output:\n%s", err, s.Output())
	}
}

package xnetdav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// errTooLarge is returned by capture.Write beyond its limit.
var errTooLarge = errors.New("xnetdav: the wrapped handler's answer exceeds MaxResponseBytes")

// capture is an http.ResponseWriter that keeps the wrapped handler's answer
// for the Handler to merge or pass on, up to limit bytes: a write beyond
// it fails (x/net then stops its walk) and sets over.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
	limit  int64
	over   bool
}

func newCapture(limit int64) *capture { return &capture{header: make(http.Header), limit: limit} }

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(p []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	if int64(c.body.Len())+int64(len(p)) > c.limit {
		c.over = true
		return 0, errTooLarge
	}
	return c.body.Write(p)
}

// send writes the captured header and status, with body.
func (c *capture) send(w http.ResponseWriter, body []byte) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	if c.status == 0 {
		c.status = http.StatusOK
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(body)
}

// propfindRequest is what the Handler needs of a DAV:propfind body (RFC
// 4918 §14.20): which kind it is, and the names it asks for.
type propfindRequest struct {
	XMLName  xml.Name   `xml:"DAV: propfind"`
	Allprop  *struct{}  `xml:"DAV: allprop"`
	Propname *struct{}  `xml:"DAV: propname"`
	Prop     *propNames `xml:"DAV: prop"`
}

type propNames struct {
	Names []struct {
		XMLName xml.Name
	} `xml:",any"`
}

// servePropfind lets the wrapped handler answer a PROPFIND, then merges the
// stored dead properties into its 207. A body the Handler cannot read is
// left to the wrapped handler, which refuses it.
func (h *Handler) servePropfind(w http.ResponseWriter, r *http.Request) (int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody()))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return http.StatusRequestEntityTooLarge, err
		}
		return http.StatusBadRequest, err
	}
	if err := checkNamespaces(body); err != nil {
		return http.StatusBadRequest, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	c := newCapture(h.maxResponse())
	h.WebDAV.ServeHTTP(c, r2)
	if c.over {
		return http.StatusInsufficientStorage, errTooLarge
	}
	want, ok := readPropfind(body)
	if c.status != http.StatusMultiStatus || !ok {
		c.send(w, c.body.Bytes())
		return 0, nil
	}
	ms, err := parseMultistatus(c.body.Bytes())
	if err != nil {
		return http.StatusInternalServerError, err
	}
	for i := range ms.responses {
		if err := h.mergeDead(r, &ms.responses[i], want); err != nil {
			return http.StatusInternalServerError, err
		}
	}
	c.send(w, ms.bytes())
	return 0, nil
}

// readPropfind returns what a PROPFIND body asks for: nil names for
// allprop (an empty body included), names of length 0 for propname (with
// propname true), else the names of DAV:prop. ok is false for a body it
// cannot read.
func readPropfind(body []byte) (want wanted, ok bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return wanted{all: true}, true
	}
	var pf propfindRequest
	if err := xml.Unmarshal(body, &pf); err != nil {
		return wanted{}, false
	}
	switch {
	case pf.Propname != nil:
		return wanted{names: true}, true
	case pf.Allprop != nil:
		return wanted{all: true}, true
	case pf.Prop != nil:
		w := wanted{props: make(map[xml.Name]bool)}
		for _, n := range pf.Prop.Names {
			w.props[n.XMLName] = true
		}
		return w, true
	}
	return wanted{}, false
}

// wanted is the kind of a PROPFIND.
type wanted struct {
	all   bool              // allprop: every dead property
	names bool              // propname: every name, no value
	props map[xml.Name]bool // the named properties
}

// mergeDead moves the stored dead properties that want asks for into the
// 200 propstat of one response: any entry of the same name that x/net
// wrote (a 404, or a live displayname the client has since set) gives way.
func (h *Handler) mergeDead(r *http.Request, resp *msResponse, want wanted) error {
	if len(resp.hrefs) != 1 || len(resp.propstats) == 0 {
		return nil
	}
	u, err := url.Parse(resp.hrefs[0])
	if err != nil {
		return nil
	}
	name, _, err := h.stripPrefix(u.Path)
	if err != nil {
		return nil
	}
	dead, err := h.Store.Props(r.Context(), storeKey(name))
	if err != nil || len(dead) == 0 {
		return err
	}
	var add []rawProp
	for n, v := range dead {
		switch {
		case want.names:
			add = append(add, rawProp{name: n, raw: emptyElement(n)})
		case want.all || want.props[n]:
			add = append(add, rawProp{name: n, raw: v})
		}
	}
	slices.SortFunc(add, func(a, b rawProp) int {
		if c := strings.Compare(a.name.Space, b.name.Space); c != 0 {
			return c
		}
		return strings.Compare(a.name.Local, b.name.Local)
	})
	resp.merge(add)
	return nil
}

// emptyElement returns the property element of name with no content, as a
// propname response lists it.
func emptyElement(name xml.Name) []byte {
	var b bytes.Buffer
	b.WriteString("<" + name.Local + ` xmlns="`)
	_ = xml.EscapeText(&b, []byte(name.Space))
	b.WriteString(`"/>`)
	return b.Bytes()
}

// statusLine returns the DAV:status element of code.
func statusLine(code int) []byte {
	return []byte("<D:status>HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "</D:status>")
}

package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	nsDAV = "DAV:"
	nsXML = "http://www.w3.org/XML/1998/namespace"
	nsMS  = "urn:schemas-microsoft-com:"
	// nsZ is the namespace of the dead properties these tests set.
	nsZ = "urn:x-atomdav-e2e:"
)

func davName(local string) xml.Name { return xml.Name{Space: nsDAV, Local: local} }
func zName(local string) xml.Name   { return xml.Name{Space: nsZ, Local: local} }

// node is an XML element (or, with an empty Name, a run of text) with its
// names resolved to namespace URIs, so that documents can be compared
// whatever prefixes they use.
type node struct {
	Name  xml.Name
	Text  string            // a text node's characters
	Attrs []xml.Attr        // sorted; no namespace declarations, no xml:lang
	Lang  string            // the xml:lang in scope
	NS    map[string]string // prefix → URI in scope; "" is the default
	Kids  []*node
}

// parseXML reads a document into a node tree and returns its root element.
func parseXML(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	doc := &node{NS: map[string]string{}}
	stack := []*node{doc}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			n := newNode(t, top)
			top.Kids = append(top.Kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if top == doc {
				continue
			}
			if k := len(top.Kids); k > 0 && top.Kids[k-1].Name.Local == "" {
				top.Kids[k-1].Text += string(t)
			} else {
				top.Kids = append(top.Kids, &node{Text: string(t)})
			}
		}
	}
	if els := doc.elems(); len(els) == 1 {
		return els[0], nil
	}
	return nil, fmt.Errorf("want one root element, found %d", len(doc.elems()))
}

func newNode(t xml.StartElement, parent *node) *node {
	n := &node{Name: t.Name, Lang: parent.Lang, NS: maps.Clone(parent.NS)}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			n.NS[a.Name.Local] = a.Value
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			n.NS[""] = a.Value
		case a.Name.Space == nsXML && a.Name.Local == "lang":
			n.Lang = a.Value
		default:
			n.Attrs = append(n.Attrs, a)
		}
	}
	slices.SortFunc(n.Attrs, func(a, b xml.Attr) int {
		return strings.Compare(a.Name.Space+" "+a.Name.Local, b.Name.Space+" "+b.Name.Local)
	})
	return n
}

// elems returns the element children.
func (n *node) elems() []*node {
	var out []*node
	for _, k := range n.Kids {
		if k.Name.Local != "" {
			out = append(out, k)
		}
	}
	return out
}

// child returns the first element child named name, or nil.
func (n *node) child(name xml.Name) *node {
	for _, k := range n.elems() {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// children returns the element children named name.
func (n *node) children(name xml.Name) []*node {
	var out []*node
	for _, k := range n.elems() {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// text returns the characters of n and its descendants.
func (n *node) text() string {
	if n.Name.Local == "" {
		return n.Text
	}
	var b strings.Builder
	for _, k := range n.Kids {
		b.WriteString(k.text())
	}
	return b.String()
}

// canon renders n canonically: names by namespace URI, attributes sorted,
// the xml:lang in scope, text as is. Two elements mean the same as XML
// exactly when their canon strings are equal.
func canon(n *node) string {
	var b strings.Builder
	n.canon(&b)
	return b.String()
}

func (n *node) canon(b *strings.Builder) {
	if n.Name.Local == "" {
		b.WriteString(strconv.Quote(n.Text))
		return
	}
	fmt.Fprintf(b, "{%s}%s", n.Name.Space, n.Name.Local)
	if n.Lang != "" {
		fmt.Fprintf(b, "[xml:lang=%q]", n.Lang)
	}
	for _, a := range n.Attrs {
		fmt.Fprintf(b, "[{%s}%s=%q]", a.Name.Space, a.Name.Local, a.Value)
	}
	b.WriteString("(")
	for i, k := range n.Kids {
		if i > 0 {
			b.WriteString(" ")
		}
		k.canon(b)
	}
	b.WriteString(")")
}

// propResult is one property of a DAV:response: its propstat's status, the
// property element, and the DAV:error conditions of the propstat.
type propResult struct {
	Status int
	Node   *node
	Conds  []string // local names in DAV:
}

// msResponse is one DAV:response of a 207 Multi-Status (RFC 4918 §14.24).
type msResponse struct {
	Href   string
	Status int // a DAV:status directly in the response, else 0
	Props  map[xml.Name]propResult
}

// parseMultistatus checks r is a 207 with a well-formed DAV:multistatus
// and returns its responses by href.
func parseMultistatus(t testing.TB, r reply) map[string]msResponse {
	t.Helper()
	out, err := multistatusOf(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// multistatusOf is parseMultistatus for goroutines: it returns an error.
func multistatusOf(r reply) (map[string]msResponse, error) {
	if r.Status != http.StatusMultiStatus {
		return nil, fmt.Errorf("status %d, want 207\nbody: %s", r.Status, r.Body)
	}
	root, err := parseXML(r.Body)
	if err != nil {
		return nil, fmt.Errorf("207 body is not well-formed XML: %v\nbody: %s", err, r.Body)
	}
	if root.Name != davName("multistatus") {
		return nil, fmt.Errorf("207 root is {%s}%s, want DAV:multistatus", root.Name.Space, root.Name.Local)
	}
	out := map[string]msResponse{}
	for _, resp := range root.children(davName("response")) {
		m := msResponse{Props: map[xml.Name]propResult{}}
		if h := resp.child(davName("href")); h != nil {
			m.Href = strings.TrimSpace(h.text())
		}
		if st := resp.child(davName("status")); st != nil {
			if m.Status, err = statusCode(st.text()); err != nil {
				return nil, err
			}
		}
		for _, ps := range resp.children(davName("propstat")) {
			if err := addPropstat(m.Props, ps); err != nil {
				return nil, err
			}
		}
		if _, dup := out[m.Href]; dup {
			return nil, fmt.Errorf("207 names %s twice", m.Href)
		}
		out[m.Href] = m
	}
	return out, nil
}

func addPropstat(props map[xml.Name]propResult, ps *node) error {
	st := ps.child(davName("status"))
	prop := ps.child(davName("prop"))
	if st == nil || prop == nil {
		return fmt.Errorf("propstat without status or prop: %s", canon(ps))
	}
	code, err := statusCode(st.text())
	if err != nil {
		return err
	}
	var conds []string
	if e := ps.child(davName("error")); e != nil {
		for _, c := range e.elems() {
			if c.Name.Space == nsDAV {
				conds = append(conds, c.Name.Local)
			}
		}
	}
	for _, p := range prop.elems() {
		if _, dup := props[p.Name]; dup {
			return fmt.Errorf("response names {%s}%s twice", p.Name.Space, p.Name.Local)
		}
		props[p.Name] = propResult{Status: code, Node: p, Conds: conds}
	}
	return nil
}

// statusCode reads the code of a status line such as "HTTP/1.1 200 OK".
func statusCode(line string) (int, error) {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	return strconv.Atoi(f[1])
}

// propElem writes an empty element for a property name, declaring its
// namespace.
func propElem(n xml.Name) string {
	var ns bytes.Buffer
	xml.EscapeText(&ns, []byte(n.Space))
	return fmt.Sprintf(`<%s xmlns="%s"/>`, n.Local, ns.String())
}

// propfindBody asks for names, or for allprop when there are none.
func propfindBody(names ...xml.Name) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">`)
	if len(names) == 0 {
		b.WriteString(`<D:allprop/>`)
	} else {
		b.WriteString(`<D:prop>`)
		for _, n := range names {
			b.WriteString(propElem(n))
		}
		b.WriteString(`</D:prop>`)
	}
	b.WriteString(`</D:propfind>`)
	return b.String()
}

// propfind sends a PROPFIND for names (allprop when none) and returns the
// responses by href.
func (s *server) propfind(t testing.TB, path, depth string, names ...xml.Name) map[string]msResponse {
	t.Helper()
	return parseMultistatus(t, s.do(t, "PROPFIND", path, propfindBody(names...), "Depth", depth))
}

// props returns the properties of one resource (Depth 0).
func (s *server) props(t testing.TB, path string, names ...xml.Name) map[xml.Name]propResult {
	t.Helper()
	ms := s.propfind(t, path, "0", names...)
	if len(ms) != 1 {
		t.Fatalf("PROPFIND Depth 0 %s: %d responses, want 1", path, len(ms))
	}
	for _, r := range ms {
		return r.Props
	}
	return nil
}

// update wraps property elements in a propertyupdate with one DAV:set, with
// D bound to DAV: and Z to nsZ.
func update(props ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="` + nsZ + `"><D:set><D:prop>` +
		strings.Join(props, "") + `</D:prop></D:set></D:propertyupdate>`
}

// proppatch sends body and returns the statuses of the one response of
// the 207 by property name.
func (s *server) proppatch(t testing.TB, path, body string) map[xml.Name]propResult {
	t.Helper()
	props, err := s.tryProppatch(path, body)
	if err != nil {
		t.Fatalf("PROPPATCH %s: %v", path, err)
	}
	return props
}

// tryProppatch is proppatch for goroutines.
func (s *server) tryProppatch(path, body string) (map[xml.Name]propResult, error) {
	r, err := s.send("PROPPATCH", path, body)
	if err != nil {
		return nil, err
	}
	ms, err := multistatusOf(r)
	if err != nil {
		return nil, err
	}
	if len(ms) != 1 {
		return nil, fmt.Errorf("%d responses in the 207, want 1\nbody: %s", len(ms), r.Body)
	}
	for _, resp := range ms {
		return resp.Props, nil
	}
	return nil, nil
}

// allOK reports an error unless every property has status 200.
func allOK(props map[xml.Name]propResult) error {
	for n, p := range props {
		if p.Status != http.StatusOK {
			return fmt.Errorf("{%s}%s: status %d, want 200", n.Space, n.Local, p.Status)
		}
	}
	return nil
}

// wantStatuses fails the test unless props holds exactly the names of
// want, each with its status.
func wantStatuses(t testing.TB, props map[xml.Name]propResult, want map[xml.Name]int) {
	t.Helper()
	for n, st := range want {
		p, ok := props[n]
		switch {
		case !ok:
			t.Errorf("{%s}%s missing from the 207", n.Space, n.Local)
		case p.Status != st:
			t.Errorf("{%s}%s: status %d, want %d", n.Space, n.Local, p.Status, st)
		}
	}
	for n := range props {
		if _, ok := want[n]; !ok {
			t.Errorf("207 names {%s}%s, which the request did not", n.Space, n.Local)
		}
	}
}

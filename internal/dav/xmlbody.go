package dav

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/atomdav/atomdav/proppatch"
)

// nsDecoder reads XML tokens with namespaces resolved, refusing what
// encoding/xml lets through: undeclared prefixes, xmlns:p="" and the other
// declarations Namespaces in XML 1.0 §3 forbids, and mismatched end tags.
// x/net/webdav accepts such PROPFIND bodies; litmus (propfind_invalid2) and
// RFC 4918 §8.2 want 400. It resolves names with proppatch.Namespaces, the
// resolver PROPPATCH uses, whose lookups cost constant time however many
// bindings are in scope, so a body costs time linear in its size.
type nsDecoder struct {
	d    *xml.Decoder
	ns   proppatch.Namespaces
	open []xml.Name // raw names of open elements
}

func newNSDecoder(r io.Reader) *nsDecoder {
	return &nsDecoder{d: xml.NewDecoder(r)}
}

// errBadXML wraps every syntax or namespace error of a request body.
var errBadXML = errors.New("malformed XML body")

// next returns the next start element (resolved), end element, or io.EOF.
// Character data, comments and processing instructions are skipped.
func (n *nsDecoder) next() (xml.Token, error) {
	for {
		tok, err := n.d.RawToken()
		if err != nil {
			if err == io.EOF && len(n.open) > 0 {
				err = io.ErrUnexpectedEOF
			}
			if err != io.EOF {
				err = fmt.Errorf("%w: %w", errBadXML, err)
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return n.start(t)
		case xml.EndElement:
			return n.end(t)
		}
	}
}

func (n *nsDecoder) start(t xml.StartElement) (xml.Token, error) {
	// encoding/xml leaves a name it cannot split, such as ":", "a:" or
	// ":a", whole in Local; it is no QName (Namespaces in XML 1.0 §4), and
	// answered back it would make the 207 ill-formed.
	if t.Name.Local == "" || strings.Contains(t.Name.Local, ":") {
		return nil, fmt.Errorf("%w: element name %q", errBadXML, t.Name.Local)
	}
	n.ns.Open()
	n.open = append(n.open, t.Name)
	for _, a := range t.Attr {
		var err error
		switch {
		case a.Name.Space == "xmlns":
			err = n.ns.Declare(a.Name.Local, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			err = n.ns.Declare("", a.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadXML, err)
		}
	}
	name, err := n.resolve(t.Name.Space)
	if err != nil {
		return nil, err
	}
	for _, a := range t.Attr {
		if a.Name.Space != "" && a.Name.Space != "xmlns" {
			if _, err := n.resolve(a.Name.Space); err != nil {
				return nil, err
			}
		}
	}
	return xml.StartElement{Name: xml.Name{Space: name, Local: t.Name.Local}, Attr: t.Attr}, nil
}

func (n *nsDecoder) end(t xml.EndElement) (xml.Token, error) {
	if len(n.open) == 0 || n.open[len(n.open)-1] != t.Name {
		return nil, fmt.Errorf("%w: unexpected </%s>", errBadXML, t.Name.Local)
	}
	ns, _ := n.resolve(t.Name.Space)
	n.open = n.open[:len(n.open)-1]
	n.ns.Close()
	return xml.EndElement{Name: xml.Name{Space: ns, Local: t.Name.Local}}, nil
}

// resolve maps the prefix of an element name, or a non-empty attribute
// prefix, to its namespace URI.
func (n *nsDecoder) resolve(prefix string) (string, error) {
	uri, ok := n.ns.Lookup(prefix)
	if !ok {
		return "", fmt.Errorf("%w: undeclared prefix %q", errBadXML, prefix)
	}
	return uri, nil
}

// rawInner returns the raw XML between the current element's start and end
// tags, with the namespace declarations in scope there, so the fragment can
// be written elsewhere exactly as sent and still resolve.
func (n *nsDecoder) rawInner(body []byte) ([]byte, map[string]string, error) {
	ns := map[string]string{}
	for _, b := range n.ns.InScope() {
		ns[b.Prefix] = b.URI
	}
	start := n.d.InputOffset()
	for depth := 1; ; {
		before := n.d.InputOffset()
		tok, err := n.d.RawToken()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errBadXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if _, err := n.start(t); err != nil {
				return nil, nil, err
			}
			depth++
		case xml.EndElement:
			if _, err := n.end(t); err != nil {
				return nil, nil, err
			}
			if depth--; depth == 0 {
				return bytes.Clone(body[start:before]), ns, nil
			}
		}
	}
}

// skip consumes the rest of the current element.
func (n *nsDecoder) skip() error {
	for depth := 1; depth > 0; {
		tok, err := n.next()
		if err != nil {
			if err == io.EOF {
				return fmt.Errorf("%w: %w", errBadXML, io.ErrUnexpectedEOF)
			}
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// propfindBodies remembers the parsed form of small PROPFIND bodies. A
// client sends the same few bodies over and over (Finder, Windows, davfs2
// and rclone each ask for a fixed set of properties), and decoding one was
// a sixth of the CPU of a Depth 0 PROPFIND.
var propfindBodies = &bodyCache{}

// bodyCache maps the bytes of PROPFIND bodies of at most maxCachedBody
// bytes to their parse. It holds at most maxCachedBodies entries and
// starts over when full, so that a client sending ever new bodies costs
// a bounded amount of memory. It is safe for concurrent use; the bodies
// it returns are shared and never modified.
type bodyCache struct {
	mu sync.RWMutex // guards m
	m  map[string]*propfindBody
}

const (
	maxCachedBody   = 1 << 10
	maxCachedBodies = 128
)

// parse parses the PROPFIND body read from r, from the cache when it has
// already seen the same bytes. Only successful parses are kept.
func (c *bodyCache) parse(r io.Reader) (*propfindBody, error) {
	buf := smallBodies.Get().(*[maxCachedBody + 1]byte)
	defer smallBodies.Put(buf)
	n, err := io.ReadFull(r, buf[:])
	switch err {
	case nil: // longer than maxCachedBody: not cached
		return parsePropfind(io.MultiReader(bytes.NewReader(buf[:n]), r))
	case io.EOF, io.ErrUnexpectedEOF: // the whole body is in buf
	default:
		return nil, fmt.Errorf("%w: %w", errBadXML, err)
	}
	body := buf[:n]
	c.mu.RLock()
	pb, ok := c.m[string(body)]
	c.mu.RUnlock()
	if ok {
		return pb, nil
	}
	pb, err = parsePropfind(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedBodies || c.m == nil {
		c.m = make(map[string]*propfindBody)
	}
	c.m[string(body)] = pb
	c.mu.Unlock()
	return pb, nil
}

// smallBodies pools the buffers bodyCache.parse reads a body into.
var smallBodies = sync.Pool{New: func() any { return new([maxCachedBody + 1]byte) }}

// bodyReaders pools the read buffers of parsePropfind.
var bodyReaders = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// propfindKind says which of RFC 4918 §14.20's forms a PROPFIND body took.
type propfindKind int

const (
	allProp propfindKind = iota
	propName
	namedProps
)

// propfindBody is a parsed PROPFIND request body.
type propfindBody struct {
	kind    propfindKind
	names   []xml.Name // for namedProps, and allprop's include
	include bool
	// prefixes maps the namespaces of names to the prefixes that decls,
	// written on the multistatus root, declares for them (see declare).
	prefixes map[string]string
	decls    string
}

// nsXML is the namespace the prefix xml is bound to, and no other prefix
// may be (Namespaces in XML 1.0 §3).
const nsXML = "http://www.w3.org/XML/1998/namespace"

// declare gives each namespace of the names asked for a prefix, ns1, ns2,
// … in order of first use, declared once on the multistatus root rather
// than on every name of every member: 256 names in a namespace of 1 MB
// would otherwise answer 256 MB per member. The answer then costs the
// request's size at most per member.
func (b *propfindBody) declare() {
	var decls strings.Builder
	for _, n := range b.names {
		if n.Space == "DAV:" || n.Space == "" || n.Space == nsXML {
			continue
		}
		if _, ok := b.prefixes[n.Space]; ok {
			continue
		}
		if b.prefixes == nil {
			b.prefixes = map[string]string{}
		}
		p := "ns" + strconv.Itoa(len(b.prefixes)+1)
		b.prefixes[n.Space] = p
		decls.WriteString(" xmlns:" + p + `="` + attrEscaper.Replace(n.Space) + `"`)
	}
	b.decls = decls.String()
}

// parsePropfind reads a PROPFIND body; an empty body means allprop (RFC
// 4918 §9.1).
func parsePropfind(r io.Reader) (*propfindBody, error) {
	// encoding/xml buffers a reader that is not an io.ByteReader (a
	// request body is not) in a new bufio.Reader; lend it a pooled one.
	br := bodyReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		bodyReaders.Put(br)
	}()
	n := newNSDecoder(br)
	tok, err := n.next()
	if err == io.EOF {
		return &propfindBody{kind: allProp}, nil
	}
	if err != nil {
		return nil, err
	}
	root := tok.(xml.StartElement)
	if root.Name != (xml.Name{Space: "DAV:", Local: "propfind"}) {
		return nil, fmt.Errorf("%w: root element is not DAV:propfind", errBadXML)
	}
	body := &propfindBody{kind: -1}
	for {
		tok, err := n.next()
		if err != nil {
			return nil, err
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		if err := body.child(n, tok.(xml.StartElement)); err != nil {
			return nil, err
		}
	}
	if _, err := n.next(); err == nil {
		return nil, fmt.Errorf("%w: content after the root element", errBadXML)
	} else if err != io.EOF {
		return nil, err
	}
	if body.kind == -1 {
		return nil, fmt.Errorf("%w: propfind needs prop, allprop or propname", errBadXML)
	}
	body.declare()
	return body, nil
}

// child handles one child of DAV:propfind.
func (b *propfindBody) child(n *nsDecoder, el xml.StartElement) error {
	if el.Name.Space != "DAV:" {
		return n.skip() // RFC 4918 §17: ignore unknown elements
	}
	switch el.Name.Local {
	case "allprop", "propname", "prop":
		if b.kind != -1 {
			return fmt.Errorf("%w: more than one of prop, allprop, propname", errBadXML)
		}
		b.kind = kindOf(el.Name.Local)
		if b.kind != namedProps {
			return n.skip()
		}
	case "include":
		b.include = true
	default:
		return n.skip()
	}
	names, err := childNames(n)
	b.names = append(b.names, names...)
	return err
}

// kindOf maps the local name of a propfind child to its kind.
func kindOf(local string) propfindKind {
	switch local {
	case "allprop":
		return allProp
	case "propname":
		return propName
	}
	return namedProps
}

// childNames lists the names of the current element's children.
func childNames(n *nsDecoder) ([]xml.Name, error) {
	var names []xml.Name
	for {
		tok, err := n.next()
		if err != nil {
			return nil, err
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			return names, nil
		}
		names = append(names, el.Name)
		if err := n.skip(); err != nil {
			return nil, err
		}
	}
}

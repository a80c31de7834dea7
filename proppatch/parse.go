package proppatch

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// nsDAV is the namespace of the WebDAV elements (RFC 4918 §21).
const nsDAV = "DAV:"

// DefaultMaxDepth is the deepest element nesting Parse accepts, so that a
// hostile body cannot make the recursive checks below run deep.
const DefaultMaxDepth = 256

// ParseOptions bound what ParseWith accepts. The zero value is Parse's
// defaults.
type ParseOptions struct {
	// MaxDepth is the deepest element nesting accepted, the
	// propertyupdate counting as 1; a body nested deeper fails with 400
	// (ErrMalformed). 0 means DefaultMaxDepth. Parsing recurses to this
	// depth, so keep it in the thousands at most.
	MaxDepth int
}

// Update is a parsed DAV:propertyupdate (RFC 4918 §14.19).
type Update struct {
	// Instructions are in document order, one per property element: a
	// DAV:prop inside a set or remove may name several properties and every
	// one of them is an instruction.
	Instructions []Instruction
}

// Instruction is one property to set or remove (RFC 4918 §14.23, §14.26).
type Instruction struct {
	Remove bool     // true for DAV:remove, false for DAV:set
	Name   xml.Name // the property's namespace URI and local name

	// Value is the property element itself as standalone XML, for a set
	// (nil for a remove): its attributes and children kept exactly, every
	// namespace binding in scope re-declared on it and the xml:lang in
	// scope copied onto it (RFC 4918 §4.3), so it means the same pasted
	// anywhere. It carries no XML declaration and is UTF-8.
	Value []byte
}

// Parse reads a PROPPATCH request body (RFC 4918 §9.2). Every error is an
// *Error: 413 if reading r failed with an *http.MaxBytesError (so bound the
// body with http.MaxBytesReader) or for ErrExpansion; 415 for ErrCharset;
// otherwise 400, wrapping one of ErrMalformed, ErrNamespace,
// ErrNotPropertyUpdate, ErrMissingProp and ErrEmptyUpdate, or the reader's
// error.
//
// Elements and text other than DAV:set and DAV:remove inside the
// propertyupdate, and other than DAV:prop inside those, are ignored as
// RFC 4918 §17 asks of unknown XML.
func Parse(r io.Reader) (*Update, error) {
	return ParseWith(r, ParseOptions{})
}

// ParseWith is Parse with the bounds of opts.
func ParseWith(r io.Reader, opts ParseOptions) (*Update, error) {
	return parse(r, new(Namespaces), opts)
}

// parse is ParseWith resolving names with ns, which the tests inspect. A
// small body of the common shape is parsed by parseFast, without a tree;
// any other, by read and the checks that follow.
func parse(r io.Reader, ns *Namespaces, opts ParseOptions) (*Update, error) {
	maxDepth := opts.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	buf := fastBufs.Get().(*[]byte)
	defer fastBufs.Put(buf)
	body, rest := readSmall(r, *buf)
	if body != nil {
		// parseFast's bodies nest 4 deep: a lower bound refuses them.
		if maxDepth >= 4 {
			if ins, ok := parseFast(body, expansionBudget(int64(len(body)))); ok {
				return &Update{Instructions: ins}, nil
			}
		}
		rest = bytes.NewReader(body)
	}
	return parseTree(rest, ns, maxDepth)
}

// parseTree is parse's general path: r read into an element tree,
// checked, and its instructions collected.
func parseTree(r io.Reader, ns *Namespaces, maxDepth int) (*Update, error) {
	root, n, err := read(r, maxDepth)
	if err != nil {
		return nil, err
	}
	if err := checkTree(root, ns); err != nil {
		return nil, badRequest(err)
	}
	_ = declare(root, ns) // checkTree accepted its declarations
	if name := nameIn(root, ns); name != davName("propertyupdate") {
		return nil, badRequest(fmt.Errorf("%w: found {%s}%s", ErrNotPropertyUpdate, name.Space, name.Local))
	}
	ins, err := instructions(root, ns, n, expansionBudget(n))
	if errors.Is(err, ErrExpansion) {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Err: err}
	}
	if err != nil {
		return nil, badRequest(err)
	}
	return &Update{Instructions: ins}, nil
}

// read parses r, nested at most maxDepth deep, into an element tree and
// returns its root element and the number of bytes read.
func read(r io.Reader, maxDepth int) (*etree.Element, int64, error) {
	rec := &readRecorder{r: r}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader: charsetReader,
		// Keep duplicates so that checkTree can refuse them: by default
		// etree silently keeps only the last one.
		PreserveDuplicateAttrs: true,
		MaxDepth:               maxDepth,
	}
	br := bodyReaders.Get().(*bufio.Reader)
	br.Reset(rec)
	n, err := doc.ReadFrom(skipBOM(br))
	br.Reset(nil)
	bodyReaders.Put(br)
	switch {
	case rec.err != nil:
		status := http.StatusBadRequest
		if mbe := (*http.MaxBytesError)(nil); errors.As(rec.err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		return nil, 0, &Error{Status: status, Err: fmt.Errorf("proppatch: reading request body: %w", rec.err)}
	case errors.Is(err, ErrCharset):
		return nil, 0, &Error{Status: http.StatusUnsupportedMediaType, Err: err}
	case errors.Is(err, etree.ErrMaxDepth):
		return nil, 0, badRequest(fmt.Errorf("%w: elements nested deeper than %d", ErrMalformed, maxDepth))
	case err != nil:
		return nil, 0, badRequest(fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	root, err := rootOf(doc)
	return root, n, err
}

// expansionBudget bounds the total size of the values built from a body of
// n bytes. Re-declaring inherited namespaces on every property could
// otherwise turn a small body (many declarations on the propertyupdate,
// many empty properties) into gigabytes; honest bodies stay far below.
func expansionBudget(n int64) int64 {
	return 4*n + 1<<20
}

// rootOf returns the document's only element, refusing what etree accepts
// but XML 1.0 §2.1 does not: no root, several roots, text outside the root,
// and an XML declaration that is not at the very start.
func rootOf(doc *etree.Document) (*etree.Element, error) {
	var root *etree.Element
	for i, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			if root != nil {
				return nil, badRequest(fmt.Errorf("%w: more than one root element", ErrMalformed))
			}
			root = t
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, badRequest(fmt.Errorf("%w: text outside the root element", ErrMalformed))
			}
		case *etree.ProcInst:
			if i != 0 && strings.EqualFold(t.Target, "xml") {
				return nil, badRequest(fmt.Errorf("%w: XML declaration not at the start", ErrMalformed))
			}
		}
	}
	if root == nil {
		return nil, badRequest(fmt.Errorf("%w: no root element", ErrMalformed))
	}
	return root, nil
}

// instructions collects the properties of every set and remove of a
// propertyupdate, root, open in ns, in document order, failing with
// ErrExpansion once their values total more than budget bytes. The values
// share one buffer, sized at first for values about as long as the body's
// n bytes. Each element is visited once and its attributes read once, so
// the work stays linear in the body whatever it declares.
func instructions(root *etree.Element, ns *Namespaces, n, budget int64) ([]Instruction, error) {
	c := &collector{ns: ns, budget: budget}
	c.buf.Grow(int(min(n, 64<<10)))
	lang := langOf(root, nil)
	for el := range root.ChildElementsSeq() {
		_ = declare(el, ns)
		err := c.update(el, langOf(el, lang))
		ns.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(c.out) == 0 {
		return nil, ErrEmptyUpdate
	}
	return c.out, nil
}

// collector gathers the instructions of a propertyupdate; see instructions.
type collector struct {
	ns      *Namespaces // the bindings in scope at the element being read
	out     []Instruction
	buf     bytes.Buffer
	scratch []etree.Attr
	budget  int64
}

// update collects the properties of el, open in c.ns, if it is a DAV:set or
// DAV:remove; lang is the xml:lang in scope at el.
func (c *collector) update(el *etree.Element, lang *string) error {
	name := nameIn(el, c.ns)
	remove := name == davName("remove")
	if !remove && name != davName("set") {
		return nil // RFC 4918 §17: ignore what we do not know
	}
	found := false
	for prop := range el.ChildElementsSeq() {
		_ = declare(prop, c.ns)
		var err error
		if nameIn(prop, c.ns) == davName("prop") {
			found = true
			err = c.props(prop, remove, langOf(prop, lang))
		}
		c.ns.Close()
		if err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("%w: DAV:%s", ErrMissingProp, el.Tag)
	}
	return nil
}

// props collects the properties of a DAV:prop, open in c.ns: a DAV:prop
// inside a set or remove may name several and each is an instruction.
func (c *collector) props(prop *etree.Element, remove bool, lang *string) error {
	var inh inheritance
	if !remove && len(prop.Child) > 0 {
		inh = inherited(c.ns, lang) // the same for every property in prop
	}
	for p := range prop.ChildElementsSeq() {
		_ = declare(p, c.ns)
		in := Instruction{Remove: remove, Name: nameIn(p, c.ns)}
		c.ns.Close()
		if !remove {
			in.Value = standalone(&c.buf, p, inh, &c.scratch)
			if c.budget -= int64(len(in.Value)); c.budget < 0 {
				return ErrExpansion
			}
		}
		c.out = append(c.out, in)
	}
	return nil
}

// davName is the expanded name of a DAV: element: elements are matched by
// namespace URI, never by prefix.
func davName(local string) xml.Name {
	return xml.Name{Space: nsDAV, Local: local}
}

// langOf returns el's xml:lang, or parent (the one in scope above it) if
// it has none.
func langOf(el *etree.Element, parent *string) *string {
	for i, a := range el.Attr {
		if a.Space == "xml" && a.Key == "lang" {
			return &el.Attr[i].Value
		}
	}
	return parent
}

// readRecorder remembers the first error of the underlying reader other
// than io.EOF, so that a failed read is told apart from bad XML.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}

// bodyReaders pools the buffers read uses to peek at the start of a body.
var bodyReaders = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// skipBOM drops a leading UTF-8 byte order mark, which encoding/xml would
// otherwise take for text before the root element.
func skipBOM(br *bufio.Reader) io.Reader {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	return br
}

// charsetReader reads the encodings named in an XML declaration that Parse
// supports. encoding/xml calls it for anything but UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii", "utf8":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "l1":
		return &latin1Reader{r: bufio.NewReader(in)}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrCharset, label)
}

// latin1Reader decodes ISO-8859-1 into UTF-8: each byte is the code point.
type latin1Reader struct {
	r   *bufio.Reader
	buf []byte // encoded bytes not yet returned
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.buf) < len(p) {
		b, err := l.r.ReadByte()
		if err != nil {
			if len(l.buf) > 0 {
				break
			}
			return 0, err
		}
		l.buf = utf8.AppendRune(l.buf, rune(b))
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

package xnetdav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const nsDAV = "DAV:"

// errForeign is returned for a 207 from the wrapped handler that is not
// laid out as webdav.Handler writes one.
var errForeign = errors.New("xnetdav: unexpected multistatus from the wrapped handler")

// multistatus is a 207 body (RFC 4918 §13) read from the wrapped handler:
// each property kept as the raw bytes x/net wrote, so that merging dead
// properties leaves live ones untouched.
type multistatus struct {
	decls     []xml.Attr // the namespace declarations of the root
	responses []msResponse
	tail      [][]byte // raw children of the root after the responses
}

type msResponse struct {
	hrefs     []string
	propstats []msPropstat
	rest      [][]byte // raw DAV:status, DAV:error, DAV:responsedescription
}

type msPropstat struct {
	props []rawProp
	code  int
	rest  [][]byte // raw DAV:status, DAV:error, DAV:responsedescription
}

// rawProp is one property element as XML that stands alone under a root
// declaring multistatus.decls.
type rawProp struct {
	name xml.Name
	raw  []byte
}

// parseMultistatus reads a 207 body. Namespaces may be declared on the
// root and inside property elements only, as webdav.Handler does, so that
// each property's raw bytes mean the same under the rewritten root.
func parseMultistatus(b []byte) (*multistatus, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	ms := &multistatus{}
	root, err := nextStart(d)
	if err != nil {
		return nil, err
	}
	if root.Name != (xml.Name{Space: nsDAV, Local: "multistatus"}) {
		return nil, errForeign
	}
	for _, a := range root.Attr {
		if isDecl(a) {
			if a.Name.Local == "D" && a.Value != nsDAV {
				return nil, errForeign
			}
			ms.decls = append(ms.decls, a)
		}
	}
	err = children(d, b, func(el xml.StartElement, raw func() ([]byte, error)) error {
		if el.Name == (xml.Name{Space: nsDAV, Local: "response"}) {
			if err := plain(el); err != nil {
				return err
			}
			resp, err := parseResponse(d, b)
			ms.responses = append(ms.responses, resp)
			return err
		}
		r, err := raw()
		ms.tail = append(ms.tail, r)
		return err
	})
	return ms, err
}

// parseResponse reads the children of a DAV:response.
func parseResponse(d *xml.Decoder, b []byte) (msResponse, error) {
	var resp msResponse
	err := children(d, b, func(el xml.StartElement, raw func() ([]byte, error)) error {
		switch el.Name {
		case xml.Name{Space: nsDAV, Local: "href"}:
			var href string
			err := d.DecodeElement(&href, &el)
			resp.hrefs = append(resp.hrefs, strings.TrimSpace(href))
			return err
		case xml.Name{Space: nsDAV, Local: "propstat"}:
			if err := plain(el); err != nil {
				return err
			}
			ps, err := parsePropstat(d, b)
			resp.propstats = append(resp.propstats, ps)
			return err
		}
		r, err := raw()
		resp.rest = append(resp.rest, r)
		return err
	})
	return resp, err
}

// parsePropstat reads the children of a DAV:propstat.
func parsePropstat(d *xml.Decoder, b []byte) (msPropstat, error) {
	var ps msPropstat
	err := children(d, b, func(el xml.StartElement, raw func() ([]byte, error)) error {
		if el.Name == (xml.Name{Space: nsDAV, Local: "prop"}) {
			if err := plain(el); err != nil {
				return err
			}
			return children(d, b, func(p xml.StartElement, raw func() ([]byte, error)) error {
				r, err := raw()
				ps.props = append(ps.props, rawProp{name: p.Name, raw: r})
				return err
			})
		}
		r, err := raw()
		if el.Name == (xml.Name{Space: nsDAV, Local: "status"}) {
			ps.code = statusCode(r)
		}
		ps.rest = append(ps.rest, r)
		return err
	})
	return ps, err
}

// children calls fn for each child element of the element just opened,
// until its end. raw skips the child and returns its bytes; fn must either
// call raw or consume the child itself.
func children(d *xml.Decoder, b []byte, fn func(el xml.StartElement, raw func() ([]byte, error)) error) error {
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", errForeign, err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			t = t.Copy()
			raw := func() ([]byte, error) {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				return b[off:d.InputOffset()], nil
			}
			if err := fn(t, raw); err != nil {
				return err
			}
		}
	}
}

// nextStart returns the first start element.
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, fmt.Errorf("%w: %w", errForeign, err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			return s.Copy(), nil
		}
	}
}

// plain refuses an element, other than the root, that declares a
// namespace: the properties under it would not stand alone under the root.
func plain(el xml.StartElement) error {
	for _, a := range el.Attr {
		if isDecl(a) {
			return errForeign
		}
	}
	return nil
}

// isDecl reports whether a is a namespace declaration.
func isDecl(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns"
}

// statusCode returns the code of a raw DAV:status, or 0.
func statusCode(raw []byte) int {
	var s string
	if xml.Unmarshal(raw, &s) != nil {
		return 0
	}
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	code, _ := strconv.Atoi(f[1])
	return code
}

// merge puts add into the 200 propstat, after removing every entry of the
// same names from the others; a propstat left empty goes.
func (resp *msResponse) merge(add []rawProp) {
	if len(add) == 0 {
		return
	}
	names := make(map[xml.Name]bool, len(add))
	for _, p := range add {
		names[p.name] = true
	}
	ok := -1
	kept := resp.propstats[:0]
	for _, ps := range resp.propstats {
		props := ps.props[:0]
		for _, p := range ps.props {
			if !names[p.name] {
				props = append(props, p)
			}
		}
		ps.props = props
		if ps.code == http.StatusOK && ok < 0 {
			ok = len(kept)
		} else if len(props) == 0 {
			continue
		}
		kept = append(kept, ps)
	}
	resp.propstats = kept
	if ok < 0 {
		resp.propstats = append([]msPropstat{{code: http.StatusOK, rest: [][]byte{statusLine(http.StatusOK)}}}, resp.propstats...)
		ok = 0
	}
	resp.propstats[ok].props = append(resp.propstats[ok].props, add...)
}

// bytes writes the 207 body.
func (ms *multistatus) bytes() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<D:multistatus`)
	hasD := false
	for _, a := range ms.decls {
		hasD = hasD || a.Name.Space == "xmlns" && a.Name.Local == "D"
		writeDecl(&b, a)
	}
	if !hasD {
		b.WriteString(` xmlns:D="DAV:"`)
	}
	b.WriteString(">")
	for _, resp := range ms.responses {
		resp.write(&b)
	}
	for _, r := range ms.tail {
		b.Write(r)
	}
	b.WriteString("</D:multistatus>")
	return b.Bytes()
}

// writeDecl writes one namespace declaration.
func writeDecl(w io.Writer, a xml.Attr) {
	name := "xmlns"
	if a.Name.Space == "xmlns" {
		name += ":" + a.Name.Local
	}
	io.WriteString(w, " "+name+`="`)
	_ = xml.EscapeText(w, []byte(a.Value))
	io.WriteString(w, `"`)
}

// write writes one DAV:response.
func (resp *msResponse) write(b *bytes.Buffer) {
	b.WriteString("<D:response>")
	for _, h := range resp.hrefs {
		b.WriteString("<D:href>")
		_ = xml.EscapeText(b, []byte(h))
		b.WriteString("</D:href>")
	}
	for _, ps := range resp.propstats {
		b.WriteString("<D:propstat><D:prop>")
		for _, p := range ps.props {
			b.Write(p.raw)
		}
		b.WriteString("</D:prop>")
		for _, r := range ps.rest {
			b.Write(r)
		}
		b.WriteString("</D:propstat>")
	}
	for _, r := range resp.rest {
		b.Write(r)
	}
	b.WriteString("</D:response>")
}

package xnetdav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/atomdav/atomdav/proppatch"
)

// maxDepth bounds the nesting of a PROPFIND body, as proppatch.Parse does
// for a PROPPATCH.
const maxDepth = 256

// checkNamespaces refuses a PROPFIND body that is not namespace
// well-formed (Namespaces in XML 1.0 §3): a prefix bound to "", a reserved
// prefix misused, or an element or attribute whose prefix is not declared.
// x/net's PROPFIND reads such a body as if it were fine, where RFC 4918
// §8.2 wants 400. It costs time linear in the body (proppatch.Namespaces).
func checkNamespaces(body []byte) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	var ns proppatch.Namespaces
	depth := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxDepth {
				return fmt.Errorf("%w: nested deeper than %d", proppatch.ErrMalformed, maxDepth)
			}
			if err := declare(&ns, t); err != nil {
				return err
			}
		case xml.EndElement:
			depth--
			ns.Close()
		}
	}
}

// declare opens t in ns with its declarations, then checks that the
// prefixes of its name and attributes are bound.
func declare(ns *proppatch.Namespaces, t xml.StartElement) error {
	ns.Open()
	for _, a := range t.Attr {
		var err error
		switch {
		case a.Name.Space == "xmlns":
			err = ns.Declare(a.Name.Local, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			err = ns.Declare("", a.Value)
		}
		if err != nil {
			return err
		}
	}
	if _, ok := ns.Lookup(t.Name.Space); !ok {
		return fmt.Errorf("%w: undeclared prefix %q", proppatch.ErrNamespace, t.Name.Space)
	}
	for _, a := range t.Attr {
		if a.Name.Space == "" || a.Name.Space == "xmlns" {
			continue
		}
		if _, ok := ns.Lookup(a.Name.Space); !ok {
			return fmt.Errorf("%w: undeclared prefix %q", proppatch.ErrNamespace, a.Name.Space)
		}
	}
	return nil
}

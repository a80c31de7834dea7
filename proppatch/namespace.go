package proppatch

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// The two namespaces reserved by Namespaces in XML 1.0 §3.
const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

// scope holds the namespace bindings an element declares, chained to its
// parent's. etree resolves prefixes itself, but it cannot tell an
// undeclared prefix from one bound to "" and does not know the implicit xml
// prefix, so the checks keep their own chain.
type scope struct {
	parent *scope
	bind   map[string]string // prefix ("" for the default) → URI
}

// lookup resolves a prefix; the empty prefix is always bound (to "" when no
// default namespace is declared).
func (s *scope) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	for ; s != nil; s = s.parent {
		if uri, ok := s.bind[prefix]; ok {
			return uri, true
		}
	}
	return "", prefix == ""
}

// checkTree refuses what encoding/xml's RawToken and etree accept but XML
// 1.0 and Namespaces in XML 1.0 do not, in el and below it. After it
// succeeds, etree's NamespaceURI is exact for every element of the tree.
func checkTree(el *etree.Element, parent *scope) error {
	sc, err := declarations(el, parent)
	if err != nil {
		return err
	}
	if err := checkNames(el, sc); err != nil {
		return err
	}
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if err := checkTree(t, sc); err != nil {
				return err
			}
		case *etree.Directive:
			return fmt.Errorf("%w: <!%.20s> inside <%s>", ErrMalformed, t.Data, el.FullTag())
		case *etree.ProcInst:
			if strings.EqualFold(t.Target, "xml") {
				return fmt.Errorf("%w: XML declaration inside <%s>", ErrMalformed, el.FullTag())
			}
		}
	}
	return nil
}

// declarations checks the xmlns attributes of el and returns the scope they
// open (Namespaces in XML 1.0 §3: no prefix bound to "", the xml prefix
// bound only to its own namespace, xmlns never bound, neither reserved
// namespace bound to any other prefix or as the default).
func declarations(el *etree.Element, parent *scope) (*scope, error) {
	var bind map[string]string
	for _, a := range el.Attr {
		prefix, ok := declaredPrefix(a)
		if !ok {
			continue
		}
		switch {
		case prefix == "xmlns":
			return nil, fmt.Errorf("%w: the xmlns prefix cannot be declared", ErrNamespace)
		case prefix == "xml" && a.Value != nsXML:
			return nil, fmt.Errorf("%w: the xml prefix bound to %q", ErrNamespace, a.Value)
		case prefix == "xml":
			continue // a redundant but legal declaration
		case prefix != "" && a.Value == "":
			return nil, fmt.Errorf("%w: xmlns:%s=\"\" on <%s>", ErrNamespace, prefix, el.FullTag())
		case a.Value == nsXML || a.Value == nsXMLNS:
			return nil, fmt.Errorf("%w: reserved namespace %q bound to %q", ErrNamespace, a.Value, prefix)
		}
		if bind == nil {
			bind = make(map[string]string)
		}
		bind[prefix] = a.Value
	}
	if bind == nil {
		return parent, nil // nothing declared: el's scope is its parent's
	}
	return &scope{parent: parent, bind: bind}, nil
}

// declaredPrefix reports whether a is a namespace declaration and for which
// prefix ("" for the default namespace).
func declaredPrefix(a etree.Attr) (string, bool) {
	switch {
	case a.Space == "xmlns":
		return a.Key, true
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	}
	return "", false
}

// checkNames checks that every prefix el and its attributes use is
// declared, that no local name holds a colon, and that no two attributes
// share a name (XML 1.0 §3.1) or an expanded name (Namespaces in XML 1.0
// §6.3).
func checkNames(el *etree.Element, sc *scope) error {
	if strings.Contains(el.Tag, ":") {
		return fmt.Errorf("%w: element name %q", ErrNamespace, el.FullTag())
	}
	if el.Space == "xml" || el.Space == "xmlns" {
		return fmt.Errorf("%w: element <%s> uses a reserved prefix", ErrNamespace, el.FullTag())
	}
	if _, ok := sc.lookup(el.Space); !ok {
		return fmt.Errorf("%w: undeclared prefix %q on <%s>", ErrNamespace, el.Space, el.FullTag())
	}
	seen := make(map[xml.Name]string, len(el.Attr))
	for _, a := range el.Attr {
		if strings.Contains(a.Key, ":") {
			return fmt.Errorf("%w: attribute name %q", ErrNamespace, a.FullKey())
		}
		key := xml.Name{Local: a.Key}
		if prefix, ok := declaredPrefix(a); ok {
			key = xml.Name{Space: nsXMLNS, Local: prefix}
		} else if a.Space != "" {
			uri, ok := sc.lookup(a.Space)
			if !ok {
				return fmt.Errorf("%w: undeclared prefix %q on attribute %q", ErrNamespace, a.Space, a.FullKey())
			}
			key.Space = uri
		}
		switch first, dup := seen[key]; {
		case dup && first == a.FullKey():
			return fmt.Errorf("%w: attribute %q repeated on <%s>", ErrMalformed, a.FullKey(), el.FullTag())
		case dup:
			return fmt.Errorf("%w: attributes %q and %q on <%s> have the same expanded name",
				ErrNamespace, first, a.FullKey(), el.FullTag())
		}
		seen[key] = a.FullKey()
	}
	return nil
}

// nameOf returns the expanded name of an element checkTree has accepted.
func nameOf(el *etree.Element) xml.Name {
	return xml.Name{Space: el.NamespaceURI(), Local: el.Tag}
}

package proppatch

import (
	"encoding/xml"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The two namespaces reserved by Namespaces in XML 1.0 §3.
const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

// Namespaces tracks the namespace bindings in scope while a parser walks
// an XML document, for any parser that sees prefixes (encoding/xml's
// RawToken, etree): Open then Declare as an element starts, Lookup the
// prefixes of its name and attributes, Close as it ends. Every operation
// costs amortised constant time whatever the number of bindings in scope,
// so a body made of declarations and names costs time linear in its size
// (scanning the bindings in scope on every lookup costs quadratic time).
//
// Declare enforces Namespaces in XML 1.0 §3: no prefix bound to "", the
// xml prefix bound only to its own namespace, xmlns never declared, and
// neither reserved namespace bound to another prefix or as the default.
//
// The zero value is ready to use. A Namespaces is not safe for concurrent
// use.
type Namespaces struct {
	uris     map[string][]string // prefix → URIs declared by open elements, innermost last
	declared []string            // prefixes declared by the open elements, outermost first
	marks    []int               // len(declared) when each open element was opened
	steps    int                 // map operations, for the tests that check the work is linear
}

// Binding is a namespace declaration: Prefix ("" for the default
// namespace) bound to URI.
type Binding struct{ Prefix, URI string }

// Open starts an element; its declarations follow with Declare.
func (ns *Namespaces) Open() {
	ns.marks = append(ns.marks, len(ns.declared))
}

// Declare binds prefix ("" for the default namespace) to uri on the element
// opened last, which must not be closed yet. A later declaration of the
// same prefix on the same element wins. Errors wrap ErrNamespace.
func (ns *Namespaces) Declare(prefix, uri string) error {
	switch {
	case prefix == "xmlns":
		return fmt.Errorf("%w: the xmlns prefix cannot be declared", ErrNamespace)
	case prefix == "xml" && uri != nsXML:
		return fmt.Errorf("%w: the xml prefix bound to %q", ErrNamespace, uri)
	case prefix == "xml":
		return nil // a redundant but legal declaration
	case prefix != "" && uri == "":
		return fmt.Errorf("%w: xmlns:%s=\"\"", ErrNamespace, prefix)
	case uri == nsXML || uri == nsXMLNS:
		return fmt.Errorf("%w: reserved namespace %q bound to %q", ErrNamespace, uri, prefix)
	}
	if ns.uris == nil {
		ns.uris = make(map[string][]string)
	}
	ns.steps++
	ns.uris[prefix] = append(ns.uris[prefix], uri)
	ns.declared = append(ns.declared, prefix)
	return nil
}

// Close ends the element opened last, dropping its declarations.
func (ns *Namespaces) Close() {
	if len(ns.marks) == 0 {
		return
	}
	mark := ns.marks[len(ns.marks)-1]
	ns.marks = ns.marks[:len(ns.marks)-1]
	for _, prefix := range ns.declared[mark:] {
		ns.steps++
		if uris := ns.uris[prefix]; len(uris) > 1 {
			ns.uris[prefix] = uris[:len(uris)-1]
		} else {
			delete(ns.uris, prefix)
		}
	}
	ns.declared = ns.declared[:mark]
}

// Lookup resolves prefix to its namespace URI, ok false when it is not
// declared. The xml prefix is always bound, and so is the empty prefix of
// an element name (to "" when no default namespace is declared); for an
// unprefixed attribute, which is in no namespace, do not call Lookup.
func (ns *Namespaces) Lookup(prefix string) (uri string, ok bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	ns.steps++
	if uris := ns.uris[prefix]; len(uris) > 0 {
		return uris[len(uris)-1], true
	}
	return "", prefix == ""
}

// InScope returns the bindings in scope, the innermost declaration of each
// prefix winning, in the order the outermost declaration of each prefix
// appears. The default namespace may be bound to "" (by xmlns=""); the
// implicit xml prefix is not in it. It costs time linear in the
// declarations of the open elements.
func (ns *Namespaces) InScope() []Binding {
	var out []Binding
	seen := make(map[string]bool, len(ns.uris))
	for _, prefix := range ns.declared {
		ns.steps++
		if !seen[prefix] {
			seen[prefix] = true
			uris := ns.uris[prefix]
			out = append(out, Binding{Prefix: prefix, URI: uris[len(uris)-1]})
		}
	}
	return out
}

// checkTree refuses what encoding/xml's RawToken and etree accept but XML
// 1.0 and Namespaces in XML 1.0 do not, in el and below it; ns holds the
// bindings in scope at el's parent and is as it was when checkTree returns
// nil.
func checkTree(el *etree.Element, ns *Namespaces) error {
	if err := declare(el, ns); err != nil {
		return err
	}
	defer ns.Close()
	if err := checkNames(el, ns); err != nil {
		return err
	}
	for _, t := range el.Child {
		if err := checkChars(t, el); err != nil {
			return err
		}
		switch t := t.(type) {
		case *etree.Element:
			if err := checkTree(t, ns); err != nil {
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

// validText reports whether s is UTF-8 holding only characters XML 1.0
// §2.2 allows.
func validText(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return false
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20, r == 0xFFFE, r == 0xFFFF: // Go decodes no surrogate
			return false
		}
		i += size
	}
	return true
}

// checkChars refuses a comment or processing instruction holding a
// character XML 1.0 forbids: encoding/xml checks text and attribute values
// but lets them through in comments and processing instructions.
func checkChars(t etree.Token, el *etree.Element) error {
	var data string
	switch t := t.(type) {
	case *etree.Comment:
		data = t.Data
	case *etree.ProcInst:
		data = t.Target + " " + t.Inst
	default:
		return nil
	}
	if !validText(data) {
		return fmt.Errorf("%w: forbidden character in a comment or processing instruction inside <%s>", ErrMalformed, el.FullTag())
	}
	return nil
}

// declare opens el in ns with the namespaces its xmlns attributes declare.
// On error el is open all the same.
func declare(el *etree.Element, ns *Namespaces) error {
	ns.Open()
	for _, a := range el.Attr {
		if prefix, ok := declaredPrefix(a); ok {
			if err := ns.Declare(prefix, a.Value); err != nil {
				return fmt.Errorf("%w on <%s>", err, el.FullTag())
			}
		}
	}
	return nil
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
func checkNames(el *etree.Element, ns *Namespaces) error {
	if strings.Contains(el.Tag, ":") {
		return fmt.Errorf("%w: element name %q", ErrNamespace, el.FullTag())
	}
	if el.Space == "xml" || el.Space == "xmlns" {
		return fmt.Errorf("%w: element <%s> uses a reserved prefix", ErrNamespace, el.FullTag())
	}
	if _, ok := ns.Lookup(el.Space); !ok {
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
			uri, ok := ns.Lookup(a.Space)
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

// nameIn returns the expanded name of el, an element checkTree has
// accepted, with el open in ns.
func nameIn(el *etree.Element, ns *Namespaces) xml.Name {
	uri, _ := ns.Lookup(el.Space)
	return xml.Name{Space: uri, Local: el.Tag}
}

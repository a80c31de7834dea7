package proppatch

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// CheckFragment checks XML content to be stored and later pasted as it is
// between the tags of another element, as a LOCK's DAV:owner is (RFC 4918
// §14.17): content is what came between an element's start and end tags,
// and ns the namespace bindings in scope there ("" for the default
// namespace), which the pasted copy re-declares. It applies the rules
// Parse applies to a property value: namespace well-formed with every
// prefix declared in content or ns, no DOCTYPE or XML declaration inside,
// no character XML 1.0 forbids (in comments and processing instructions
// too), nesting at most 256 deep, UTF-8. Content that passes keeps the
// document it is pasted into well-formed.
//
// Every error is an *Error with status 400 wrapping ErrMalformed or
// ErrNamespace. It costs time linear in the size of content and ns; bound
// content before calling it.
func CheckFragment(content []byte, ns map[string]string) error {
	if !utf8.Valid(content) {
		return badRequest(fmt.Errorf("%w: not UTF-8", ErrMalformed))
	}
	var doc bytes.Buffer
	doc.WriteString("<fragment")
	for _, prefix := range slices.Sorted(maps.Keys(ns)) {
		if prefix != "" && !validPrefix(prefix) {
			return badRequest(fmt.Errorf("%w: prefix %q", ErrNamespace, prefix))
		}
		if prefix == "" {
			doc.WriteString(` xmlns="`)
		} else {
			doc.WriteString(" xmlns:" + prefix + `="`)
		}
		xml.EscapeText(&doc, []byte(ns[prefix]))
		doc.WriteString(`"`)
	}
	doc.WriteString(">")
	doc.Write(content)
	doc.WriteString("</fragment>")
	root, _, err := read(bytes.NewReader(doc.Bytes()), DefaultMaxDepth)
	if err != nil {
		return err // an *Error already
	}
	// read took the document for one root element with nothing but
	// markup after it, so content cannot close the wrapper early.
	if err := checkTree(root, new(Namespaces)); err != nil {
		return badRequest(err)
	}
	return nil
}

// validPrefix reports whether p can be written as a namespace prefix: a
// name without a colon (an NCName, Namespaces in XML 1.0 §3), checked
// loosely for the characters that would change the markup around it.
func validPrefix(p string) bool {
	return !strings.ContainsAny(p, " \t\r\n<>&\"'=/:?!") && p != "xmlns"
}

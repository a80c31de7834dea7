package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrPropstat is wrapped by the error of a 207 Multi-Status that reports a
// status other than 200 for a response or a propstat.
var ErrPropstat = errors.New("bench: multistatus reports a failure")

// checkAllOK reads a 207 Multi-Status (RFC 4918 §13) and returns an error
// unless it holds at least one propstat and every DAV:status in it, of a
// propstat or of a whole response, is 200. It returns the number of
// propstats. A byte scan accepts the common all-200 answer, so the client
// spends its CPU on requests rather than on decoding (encoding/xml cost as
// much CPU per propfind-dead request as the servers); any other answer is
// decoded in full, which decides and words the error.
func checkAllOK(body []byte) (int, error) {
	if n, ok := quickAllOK(body); ok {
		return n, nil
	}
	return decodeAllOK(body)
}

// quickAllOK reports true only when body ends with a closing multistatus
// tag (so it was not cut short), closes at least one propstat, and every
// element named status, in whatever namespace, holds a 200 status line:
// then every DAV:status does too. It does not otherwise check that body
// is well-formed XML.
func quickAllOK(body []byte) (int, bool) {
	if !bytes.HasSuffix(bytes.TrimRight(body, " \t\r\n"), []byte("multistatus>")) {
		return 0, false
	}
	n := countClosing(body, "propstat")
	if n == 0 {
		return 0, false
	}
	ok := true
	eachClosing(body, "status", func(text []byte) {
		ok = ok && is200(text)
	})
	return n, ok
}

// is200 reports whether a status line ("HTTP/1.1 200 OK") says 200.
func is200(line []byte) bool {
	line = bytes.TrimSpace(line)
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return false
	}
	code := line[sp+1:]
	return bytes.HasPrefix(code, []byte("200")) && (len(code) == 3 || code[3] == ' ')
}

// decodeAllOK is checkAllOK with encoding/xml, namespace by namespace.
func decodeAllOK(body []byte) (int, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var stack []xml.Name
	var text strings.Builder
	propstats := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return propstats, fmt.Errorf("bench: multistatus: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name)
			text.Reset()
			if t.Name.Space == "DAV:" && t.Name.Local == "propstat" {
				propstats++
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if t.Name.Space == "DAV:" && t.Name.Local == "status" && len(stack) >= 2 {
				parent := stack[len(stack)-2]
				if parent.Space == "DAV:" && (parent.Local == "propstat" || parent.Local == "response") {
					if code := statusCode(text.String()); code != 200 {
						return propstats, fmt.Errorf("%w: %s %s", ErrPropstat, parent.Local, strings.TrimSpace(text.String()))
					}
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if propstats == 0 {
		return 0, fmt.Errorf("%w: no propstat", ErrPropstat)
	}
	return propstats, nil
}

// statusCode returns the code of a status line ("HTTP/1.1 200 OK"), or 0.
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	c, _ := strconv.Atoi(f[1])
	return c
}

// countClosing counts the closing tags of elements named local in any
// namespace prefix (</response>, </D:response>) without parsing the XML:
// a cheap check of how many responses a large 207 holds, so the client
// spends its CPU on requests rather than on decoding.
func countClosing(body []byte, local string) int {
	n := 0
	eachClosing(body, local, func([]byte) { n++ })
	return n
}

// eachClosing calls fn for every closing tag of an element named local in
// any namespace prefix, with the text just before that tag (back to the
// previous '>'): the content of an element that holds only text.
func eachClosing(body []byte, local string, fn func(text []byte)) {
	want := []byte(local + ">")
	for off := 0; ; {
		i := bytes.Index(body[off:], want)
		if i < 0 {
			return
		}
		i += off
		lt := bytes.LastIndexByte(body[off:i], '<')
		if lt >= 0 && body[off+lt+1] == '/' {
			lt += off
			name := body[lt+2 : i]
			if len(name) == 0 || (name[len(name)-1] == ':' && bytes.IndexAny(name, " <>/\"'") < 0) {
				fn(body[bytes.LastIndexByte(body[:lt], '>')+1 : lt])
			}
		}
		off = i + len(want)
	}
}

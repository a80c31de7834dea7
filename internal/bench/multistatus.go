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
// propstats.
func checkAllOK(body []byte) (int, error) {
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
	want := []byte(local + ">")
	n := 0
	for rest := body; ; {
		i := bytes.Index(rest, want)
		if i < 0 {
			return n
		}
		lt := bytes.LastIndexByte(rest[:i], '<')
		if lt >= 0 && lt+1 < len(rest) && rest[lt+1] == '/' {
			name := rest[lt+2 : i]
			if len(name) == 0 || (name[len(name)-1] == ':' && bytes.IndexAny(name, " <>/\"'") < 0) {
				n++
			}
		}
		rest = rest[i+len(want):]
	}
}

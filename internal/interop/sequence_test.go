package interop

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// A sequence is one client's recorded session (testdata/clients/*.txt):
// exchanges replayed in order against one fresh server. The format is
// described in testdata/clients/README.md; in short:
//
//	### title of the exchange
//	> METHOD /escaped/target
//	> Header: value
//	>
//	> body line
//	< 207
//	< Header: exact value
//	< prop {DAV:}getcontentlength = 0
//	< set token = header Lock-Token ~ ^<(.+)>$
//
// {{name}} in a request or an expectation is replaced by a value captured
// with `set`, or by {{host}} (host:port) and {{base}} (http://host:port).
//
// A line `@user NAME PASSWORD` before the first exchange replays the file
// logged in: the server has that one user (and no anonymous access), and
// {{user}} and {{auth}} (the Basic Authorization value) are defined.
type sequence struct {
	name      string
	exchanges []*exchange
	user      string // from @user: the server's one user, else anonymous
	password  string
}

// exchange is one request and what its response must show.
type exchange struct {
	title   string
	line    int // of the ### line
	method  string
	target  string
	headers [][2]string // as written, in order
	body    string      // body lines, each ending in "\n"
	status  int
	checks  []check
	inBody  bool // while parsing: past the ">" line that ends the headers
}

// chunked reports whether the request is sent with chunked transfer coding.
func (e *exchange) chunked() bool {
	for _, h := range e.headers {
		if strings.EqualFold(h[0], "Transfer-Encoding") && strings.EqualFold(strings.TrimSpace(h[1]), "chunked") {
			return true
		}
	}
	return false
}

// header returns the first request header called name.
func (e *exchange) header(name string) (string, bool) {
	for _, h := range e.headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// checkKind says what a check looks at.
type checkKind int

const (
	checkHeader  checkKind = iota // a response header: op "=", "~", "!~" or "absent"
	checkProp                     // a property of a 207: op "=", "~", "!~", "has" or "status"
	checkHref                     // a response for href is in the 207: op "present" or "absent"
	checkElement                  // an element anywhere in an XML body: op "present" or "absent"
	checkBody                     // the body without its final newline: op "=", "~" or "empty"
	checkCapture                  // set a variable from a header or property
)

// check is one `<` line after the status.
type check struct {
	line  int
	kind  checkKind
	name  string   // header name, variable name, or the property/element
	prop  xml.Name // checkProp, checkElement, and captures from a property
	href  string   // checkProp: which response ("" for the request target's)
	op    string
	value string // compared text, regexp, child element (Clark) or status
	// checkCapture: the variable is name, read from a header (source is
	// its name) or a property (prop), through the regexp value if any.
	from   string
	source string
}

// parseSequence reads a sequence file.
func parseSequence(name string, r io.Reader) (*sequence, error) {
	seq := &sequence{name: name}
	var cur *exchange
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		var err error
		switch {
		case strings.HasPrefix(line, "###"):
			if err := finish(cur); err != nil {
				return nil, err
			}
			cur = &exchange{title: strings.TrimSpace(line[3:]), line: n}
			seq.exchanges = append(seq.exchanges, cur)
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
			// blank lines and comments
		case strings.HasPrefix(line, "@"):
			err = seq.directive(line, cur != nil)
		case strings.HasPrefix(line, ">") && cur == nil:
			err = errors.New("request line before the first ###")
		case strings.HasPrefix(line, ">"):
			err = cur.addRequestLine(line)
		case strings.HasPrefix(line, "<") && (cur == nil || cur.method == ""):
			err = errors.New("expectation before the request")
		case strings.HasPrefix(line, "<"):
			err = cur.addExpectation(strings.TrimSpace(line[1:]), n)
		default:
			err = fmt.Errorf("a line starts with ###, #, @, > or <; got %q", line)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := finish(cur); err != nil {
		return nil, err
	}
	if len(seq.exchanges) == 0 {
		return nil, fmt.Errorf("%s: no exchange", name)
	}
	return seq, nil
}

// directive reads an `@user NAME PASSWORD` line, which must come before
// the first exchange and only once.
func (seq *sequence) directive(line string, inExchange bool) error {
	f := strings.Fields(line)
	switch {
	case f[0] != "@user":
		return fmt.Errorf("unknown directive %q (known: @user)", f[0])
	case len(f) != 3:
		return errors.New("want `@user NAME PASSWORD`")
	case inExchange:
		return errors.New("@user comes before the first ###")
	case seq.user != "":
		return errors.New("a second @user")
	}
	seq.user, seq.password = f[1], f[2]
	return nil
}

// addRequestLine reads a "> " line: the request line, a header, the empty
// line that ends the headers, or a body line.
func (e *exchange) addRequestLine(line string) error {
	if e.status != 0 {
		return errors.New("request line after the expected status")
	}
	text, ok := strings.CutPrefix(line, "> ")
	if !ok && line != ">" {
		return errors.New(`request lines start with "> "`)
	}
	if line == ">" {
		text = ""
	}
	switch {
	case e.method == "":
		f := strings.Fields(text)
		if len(f) < 2 || len(f) > 3 || !strings.HasPrefix(f[1], "/") {
			return fmt.Errorf("want a request line `> METHOD /target`, got %q", text)
		}
		e.method, e.target = f[0], f[1]
	case e.inBody:
		e.body += text + "\n"
	case text == "":
		e.inBody = true
	default:
		k, v, ok := strings.Cut(text, ":")
		if !ok || strings.TrimSpace(k) != k || k == "" {
			return fmt.Errorf("want a header `> Name: value`, got %q", text)
		}
		e.headers = append(e.headers, [2]string{k, strings.TrimSpace(v)})
	}
	return nil
}

// addExpectation reads a "<" line: the status first, then checks.
func (e *exchange) addExpectation(text string, n int) error {
	if e.status == 0 {
		code, _ := cut(text)
		st, err := strconv.Atoi(code)
		if err != nil || st < 100 || st > 599 {
			return fmt.Errorf("the first `<` line is the status, got %q", text)
		}
		e.status = st
		return nil
	}
	c, err := parseCheck(text)
	if err != nil {
		return err
	}
	c.line = n
	e.checks = append(e.checks, c)
	return nil
}

// finish checks an exchange once all its lines are read.
func finish(e *exchange) error {
	if e == nil {
		return nil
	}
	where := fmt.Sprintf("exchange %q (line %d)", e.title, e.line)
	if e.title == "" {
		return fmt.Errorf("exchange at line %d: no title after ###", e.line)
	}
	if e.method == "" {
		return fmt.Errorf("%s: no request", where)
	}
	if e.status == 0 {
		return fmt.Errorf("%s: no expected status", where)
	}
	if v, ok := e.header("Content-Length"); ok && !strings.Contains(v, "{{") {
		if n, err := strconv.Atoi(v); err != nil || n != len(e.body) {
			return fmt.Errorf("%s: Content-Length %s but the body has %d bytes", where, v, len(e.body))
		}
	}
	if _, ok := e.header("Content-Length"); ok && e.chunked() {
		return fmt.Errorf("%s: both Content-Length and chunked", where)
	}
	return nil
}

var headerNameRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// parseCheck reads one expectation after the status line.
func parseCheck(text string) (check, error) {
	word, rest := cut(text)
	switch word {
	case "set":
		// set NAME = header H [~ RE]  |  set NAME = prop {ns}local [~ RE]
		name, rest := cut(rest)
		eq, rest := cut(rest)
		from, rest := cut(rest)
		source, rest := cut(rest)
		if name == "" || eq != "=" || (from != "header" && from != "prop") || source == "" {
			return check{}, fmt.Errorf("want `set NAME = header NAME [~ REGEXP]` or `set NAME = prop {NS}NAME [~ REGEXP]`, got %q", text)
		}
		c := check{kind: checkCapture, name: name, from: from, source: source}
		if from == "prop" {
			p, err := parseClark(source)
			if err != nil {
				return check{}, err
			}
			c.prop = p
		}
		if rest != "" {
			op, re := cut(rest)
			if op != "~" || re == "" {
				return check{}, fmt.Errorf("after `set … %s` only `~ REGEXP` may follow, got %q", source, rest)
			}
			if _, err := regexp.Compile(re); err != nil {
				return check{}, err
			}
			c.value = re
		}
		return c, nil
	case "prop":
		c := check{kind: checkProp}
		if strings.HasPrefix(rest, "@") {
			c.href, rest = cut(rest)
			c.href = c.href[1:]
		}
		clark, rest := cut(rest)
		p, err := parseClark(clark)
		if err != nil {
			return check{}, err
		}
		c.prop = p
		op, value := cut(rest)
		switch {
		case op == "=" || op == "~" || op == "!~":
			c.op, c.value = op, value
		case op == "has":
			if _, err := parseClark(value); err != nil {
				return check{}, err
			}
			c.op, c.value = op, value
		case len(op) == 3 && value == "":
			if _, err := strconv.Atoi(op); err != nil {
				return check{}, fmt.Errorf("want `prop NAME STATUS|= TEXT|~ REGEXP|!~ REGEXP|has NAME`, got %q", text)
			}
			c.op, c.value = "status", op
		default:
			return check{}, fmt.Errorf("want `prop NAME STATUS|= TEXT|~ REGEXP|!~ REGEXP|has NAME`, got %q", text)
		}
		if c.op == "~" || c.op == "!~" {
			if _, err := regexp.Compile(c.value); err != nil && !strings.Contains(c.value, "{{") {
				return check{}, err
			}
		}
		return c, nil
	case "href", "!href":
		if rest == "" || strings.ContainsAny(rest, " \t") {
			return check{}, fmt.Errorf("want `%s /path`, got %q", word, text)
		}
		op := "present"
		if word == "!href" {
			op = "absent"
		}
		return check{kind: checkHref, op: op, value: rest}, nil
	case "element", "!element":
		p, err := parseClark(rest)
		if err != nil {
			return check{}, err
		}
		op := "present"
		if word == "!element" {
			op = "absent"
		}
		return check{kind: checkElement, prop: p, op: op}, nil
	case "body":
		op, value := cut(rest)
		switch {
		case op == "empty" && value == "":
			return check{kind: checkBody, op: "empty"}, nil
		case op == "=" || op == "~":
			return check{kind: checkBody, op: op, value: value}, nil
		}
		return check{}, fmt.Errorf("want `body = TEXT`, `body ~ REGEXP` or `body empty`, got %q", text)
	}
	if name, ok := strings.CutPrefix(word, "!"); ok && rest == "" && headerNameRE.MatchString(name) {
		return check{kind: checkHeader, name: name, op: "absent"}, nil
	}
	if name, value, ok := strings.Cut(text, ":"); ok && headerNameRE.MatchString(name) {
		return check{kind: checkHeader, name: name, op: "=", value: strings.TrimSpace(value)}, nil
	}
	if op, value := cut(rest); (op == "~" || op == "!~") && headerNameRE.MatchString(word) && value != "" {
		return check{kind: checkHeader, name: word, op: op, value: value}, nil
	}
	return check{}, fmt.Errorf("unknown expectation %q", text)
}

// cut splits off the first space-separated word.
func cut(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// parseClark reads {namespace}local; "local" alone is in no namespace.
func parseClark(s string) (xml.Name, error) {
	if !strings.HasPrefix(s, "{") {
		if s == "" || strings.ContainsAny(s, "{}: ") { // "D:x" would be a prefix, not a namespace
			return xml.Name{}, fmt.Errorf("want a property name {NAMESPACE}LOCAL, got %q", s)
		}
		return xml.Name{Local: s}, nil
	}
	ns, local, ok := strings.Cut(s[1:], "}")
	if !ok || ns == "" || local == "" || strings.ContainsAny(local, "{}: ") {
		return xml.Name{}, fmt.Errorf("want a property name {NAMESPACE}LOCAL, got %q", s)
	}
	return xml.Name{Space: ns, Local: local}, nil
}

// clark writes a name as {namespace}local.
func clark(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

var placeholderRE = regexp.MustCompile(`\{\{([A-Za-z0-9_-]+)\}\}`)

// expand replaces {{name}} by vars[name]; quote escapes the values for use
// inside a regular expression. An unknown name is an error.
func expand(s string, vars map[string]string, quote bool) (string, error) {
	var missing []string
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-2]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		if quote {
			return regexp.QuoteMeta(v)
		}
		return v
	})
	if missing != nil {
		return "", fmt.Errorf("no value for {{%s}} (set it with `< set %s = …` first)", missing[0], missing[0])
	}
	return out, nil
}

// statusCode reads "HTTP/1.1 200 OK".
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// statusText names a status for messages.
func statusText(code int) string {
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}

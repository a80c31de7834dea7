package config

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrUnknownKey is what a KeyError wraps for a key no option has, in the
// file or as an ATOMDAV_ variable: a typo that would otherwise be ignored.
var ErrUnknownKey = errors.New("config: unknown key")

// ErrBadValue is what a KeyError wraps for a value of the wrong kind: a
// duration without a unit, a fraction for a whole number, yes for a
// boolean, a number where text is expected.
var ErrBadValue = errors.New("config: bad value")

// KeyError is one fault of the configuration: where it is ("config
// FILE:LINE" or "environment"), the key or variable, and what is wrong. It
// wraps ErrUnknownKey or ErrBadValue.
type KeyError struct {
	Where string
	Key   string
	Msg   string
	Kind  error
}

func (e *KeyError) Error() string { return e.Where + ": " + e.Key + ": " + e.Msg }

// Unwrap returns ErrUnknownKey or ErrBadValue.
func (e *KeyError) Unwrap() error { return e.Kind }

// lineErrors are several errors reported on one line, so the CLI prints
// one clear line however many faults there are.
type lineErrors []error

// maxReported bounds the faults one line names.
const maxReported = 5

func (e lineErrors) Error() string {
	msgs := make([]string, 0, maxReported+1)
	for i, err := range e {
		if i == maxReported {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(e)-i))
			break
		}
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns every error, for errors.Is and errors.As.
func (e lineErrors) Unwrap() []error { return e }

// joinLine returns nil for no errors, else one error on one line.
func joinLine(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return lineErrors(errs)
}

var durationType = reflect.TypeFor[time.Duration]()

// keys returns the koanf keys of struct type t, in field order, and the
// type of each. It is the one list of known keys: a field added to Config
// (or User) with its tag is known here without more ado.
func keys(t reflect.Type) ([]string, map[string]reflect.Type) {
	var names []string
	types := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		names = append(names, name)
		types[name] = f.Type
	}
	return names, types
}

// checkFile decodes the YAML of the file path strictly against Config:
// every key must be one of Config's (or User's, under users), every value
// of its field's kind. Errors name the line.
func checkFile(path string, data []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file sets nothing
		}
		return fmt.Errorf("config %s: %w", path, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: more than one YAML document (---): atomdav reads one", path)
	}
	c := &fileChecker{path: path}
	if len(doc.Content) == 1 && doc.Content[0].ShortTag() != "!!null" {
		c.value(doc.Content[0], reflect.TypeFor[Config](), "")
	}
	return joinLine(c.errs)
}

// fileChecker walks a YAML tree beside the Go type it must decode into.
type fileChecker struct {
	path string
	errs []error
	// aliased holds the anchored nodes checked through an alias, each
	// once per type, so aliases of aliases cost linear time, not
	// exponential ("billion laughs").
	aliased map[aliasCheck]bool
}

type aliasCheck struct {
	n *yaml.Node
	t reflect.Type
}

func (c *fileChecker) fail(n *yaml.Node, kind error, key, format string, args ...any) {
	if key == "" {
		key = "(top level)"
	}
	c.errs = append(c.errs, &KeyError{
		Where: fmt.Sprintf("config %s:%d", c.path, n.Line),
		Key:   key,
		Msg:   fmt.Sprintf(format, args...),
		Kind:  kind,
	})
}

// value checks the node n of the key named key against the type t.
func (c *fileChecker) value(n *yaml.Node, t reflect.Type, key string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
		if c.aliased[aliasCheck{n, t}] {
			return
		}
		if c.aliased == nil {
			c.aliased = map[aliasCheck]bool{}
		}
		c.aliased[aliasCheck{n, t}] = true
	}
	switch {
	case t == durationType:
		c.duration(n, key)
	case t.Kind() == reflect.Struct:
		c.mapping(n, t, key)
	case t.Kind() == reflect.Slice:
		c.sequence(n, t, key)
	case t.Kind() == reflect.Map:
		c.dictionary(n, t, key)
	default:
		c.scalar(n, t, key)
	}
}

// mapping checks a YAML mapping against the koanf keys of struct type t.
func (c *fileChecker) mapping(n *yaml.Node, t reflect.Type, key string) {
	if n.Kind != yaml.MappingNode {
		c.fail(n, ErrBadValue, key, "must be a mapping of keys to values, not %s", describe(n))
		return
	}
	names, types := keys(t)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		full := k.Value
		if key != "" {
			full = key + "." + k.Value
		}
		ft, ok := types[k.Value]
		switch {
		case !ok:
			c.fail(k, ErrUnknownKey, full, "unknown key%s", didYouMean(k.Value, names, quoted))
		case seen[k.Value] != 0:
			c.fail(k, ErrBadValue, full, "set twice (first on line %d)", seen[k.Value])
		default:
			seen[k.Value] = k.Line
			c.value(v, ft, full)
		}
	}
}

// sequence checks a YAML list (or nothing) against the slice type t.
func (c *fileChecker) sequence(n *yaml.Node, t reflect.Type, key string) {
	if !c.present(n, yaml.SequenceNode, key, "a list, e.g. [a, b] or one \"- item\" a line") {
		return
	}
	for i, item := range n.Content {
		c.value(item, t.Elem(), fmt.Sprintf("%s[%d]", key, i))
	}
}

// dictionary checks a YAML mapping (or nothing) of free keys against the
// map type t: each key and value of its kind.
func (c *fileChecker) dictionary(n *yaml.Node, t reflect.Type, key string) {
	if !c.present(n, yaml.MappingNode, key, "a mapping of keys to values") {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		c.value(k, t.Key(), key)
		c.value(v, t.Elem(), key+"."+k.Value)
	}
}

// present reports whether n, a list or a dictionary, has items to check:
// not when it is null (as if absent), nor when it is not of kind, which it
// reports as an error (key must be want).
func (c *fileChecker) present(n *yaml.Node, kind yaml.Kind, key, want string) bool {
	if n.ShortTag() == "!!null" {
		return false
	}
	if n.Kind != kind {
		c.fail(n, ErrBadValue, key, "must be %s, not %s", want, describe(n))
		return false
	}
	return true
}

// duration accepts what time.ParseDuration does: "90s", "2m", "0". A bare
// number other than 0 has no unit and is refused rather than read as
// nanoseconds.
func (c *fileChecker) duration(n *yaml.Node, key string) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int") {
		c.fail(n, ErrBadValue, key, "must be a duration such as \"30s\" or \"2m\", not %s", describe(n))
		return
	}
	if _, err := time.ParseDuration(n.Value); err != nil {
		c.fail(n, ErrBadValue, key, "%s is not a duration: write a number with a unit, e.g. \"%ss\" or \"%sm\"", n.Value, n.Value, n.Value)
	}
}

// scalar checks a plain value: text must be a YAML string (quote numbers
// meant as text), booleans true or false, whole numbers whole and in range.
func (c *fileChecker) scalar(n *yaml.Node, t reflect.Type, key string) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag == "!!null" && t.Kind() != reflect.String) {
		c.fail(n, ErrBadValue, key, "must be %s, not %s", kindName(t), describe(n))
		return
	}
	ok := true
	switch t.Kind() {
	case reflect.String:
		ok = tag == "!!str" || tag == "!!null"
	case reflect.Bool:
		ok = tag == "!!bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ok = tag == "!!int" && n.Decode(reflect.New(t).Interface()) == nil
	case reflect.Float32, reflect.Float64:
		ok = tag == "!!int" || tag == "!!float"
	default:
		ok = n.Decode(reflect.New(t).Interface()) == nil
	}
	if !ok {
		c.fail(n, ErrBadValue, key, "must be %s, not %s", kindName(t), describe(n))
	}
}

// kindName says what a value of type t is written as.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "text (quote it if it looks like a number or a boolean)"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf("a whole number that fits in %d bits", t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("a whole number from 0 that fits in %d bits", t.Bits())
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

// describe names what the node holds, for the messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("the text %q", n.Value)
	case "!!bool":
		return "the boolean " + n.Value
	case "!!int", "!!float":
		return "the number " + n.Value
	}
	return n.Value
}

package htpasswd

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// MaxFileBytes bounds a users file: a million users fit.
const MaxFileBytes = 64 << 20

// Entry is one user's line of a users file.
type Entry struct {
	// Line is the line's number, from 1.
	Line int
	// Name is the user's name: no ':' and no control characters.
	Name string
	// Hash is the password's hash, of a scheme Check accepts.
	Hash string
	// Scheme is the hash's.
	Scheme Scheme
	// Options is true when the line has a third field (even empty), the
	// settings below.
	Options bool
	// Root is the folder the user sees as "/" ("" for all the share).
	Root string
	// ReadOnly refuses the user every write.
	ReadOnly bool
}

// LineError is an error of one line of a users file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the line's error.
func (e *LineError) Unwrap() error { return e.Err }

// ErrBadName means a user name is empty, holds ':' or a control
// character, starts with '#' (a comment) or with or ends with a space.
var ErrBadName = errors.New("htpasswd: a user name must not be empty, hold ':' or control characters, start with '#' nor start or end with a space")

// Parse reads the users of a file's content. Blank lines and lines whose
// first character other than spaces is '#' are skipped, as Apache does.
// Every error of the content is a *LineError; the first is returned. A
// name given twice is an error: Apache would take the first, silently.
func Parse(data []byte) ([]Entry, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("htpasswd: larger than %d bytes", MaxFileBytes)
	}
	var entries []Entry
	seen := map[string]int{}
	for i, line := range Lines(data) {
		e, ok, err := parseLine(line)
		if err != nil {
			return nil, &LineError{Line: i + 1, Err: err}
		}
		if !ok {
			continue
		}
		if first, dup := seen[e.Name]; dup {
			return nil, &LineError{Line: i + 1, Err: fmt.Errorf("user %q is already on line %d", e.Name, first)}
		}
		e.Line = i + 1
		seen[e.Name] = e.Line
		entries = append(entries, e)
	}
	return entries, nil
}

// Lines splits data into lines, without their "\n" or "\r\n"; a final
// line without "\n" counts, an empty one after the last "\n" does not.
func Lines(data []byte) []string {
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// parseLine reads one line; ok is false for a comment or blank line.
func parseLine(line string) (e Entry, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return Entry{}, false, nil
	}
	fields := strings.Split(line, ":")
	if len(fields) < 2 {
		return Entry{}, false, errors.New("not a name:hash line")
	}
	if len(fields) > 3 {
		return Entry{}, false, errors.New("more than three ':'-separated fields (name:hash:options)")
	}
	e = Entry{Name: fields[0], Hash: fields[1]}
	if err := CheckName(e.Name); err != nil {
		return Entry{}, false, err
	}
	if e.Scheme, err = Check(e.Hash); err != nil {
		return Entry{}, false, fmt.Errorf("user %q: %w", e.Name, err)
	}
	if len(fields) == 3 {
		e.Options = true
		if err := e.parseOptions(fields[2]); err != nil {
			return Entry{}, false, fmt.Errorf("user %q: %w", e.Name, err)
		}
	}
	return e, true, nil
}

// parseOptions reads the third field: comma-separated "read-only" and
// "root=/folder", each at most once.
func (e *Entry) parseOptions(field string) error {
	if strings.TrimSpace(field) == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, opt := range strings.Split(field, ",") {
		opt = strings.TrimSpace(opt)
		key, val, hasVal := strings.Cut(opt, "=")
		if seen[key] {
			return fmt.Errorf("option %q given twice", key)
		}
		seen[key] = true
		switch {
		case key == "read-only" && !hasVal:
			e.ReadOnly = true
		case key == "root" && hasVal:
			if !strings.HasPrefix(val, "/") || path.Clean(val) != val && path.Clean(val)+"/" != val {
				return fmt.Errorf("root=%q must be a clean path starting with /", val)
			}
			e.Root = val
		default:
			return fmt.Errorf("unknown option %q (known: read-only, root=/folder)", opt)
		}
	}
	return nil
}

// CheckName returns ErrBadName unless name may be a user's.
func CheckName(name string) error {
	if name == "" || strings.ContainsRune(name, ':') || !utf8.ValidString(name) ||
		name[0] == '#' || strings.TrimSpace(name) != name {
		return ErrBadName
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return ErrBadName
		}
	}
	return nil
}

// Format returns e's line: name:hash, then the options if it has any.
func Format(e Entry) string {
	var opts []string
	if e.Root != "" {
		opts = append(opts, "root="+e.Root)
	}
	if e.ReadOnly {
		opts = append(opts, "read-only")
	}
	if len(opts) == 0 {
		return e.Name + ":" + e.Hash
	}
	return e.Name + ":" + e.Hash + ":" + strings.Join(opts, ",")
}

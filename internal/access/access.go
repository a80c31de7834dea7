package access

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Level is what a rule lets a principal do with a path and everything
// below it; a higher Level allows everything a lower one does.
type Level uint8

// The levels, lowest first.
const (
	// None hides the path: it behaves as absent.
	None Level = iota
	// Read allows the methods that read.
	Read
	// Write allows every method.
	Write
)

// String is the level's name in a configuration: none, read or write.
func (l Level) String() string {
	switch l {
	case None:
		return "none"
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// ErrBadLevel and ErrBadPath refuse a rule a configuration spells wrong.
var (
	ErrBadLevel = errors.New("access must be one of none, read, write")
	ErrBadPath  = errors.New("a rule's path must be a clean absolute path (starting with /, without trailing /, //, . or .. segments)")
)

// ParseLevel is the Level named s (none, read or write).
func ParseLevel(s string) (Level, error) {
	switch s {
	case "none":
		return None, nil
	case "read":
		return Read, nil
	case "write":
		return Write, nil
	}
	return None, fmt.Errorf("%q: %w", s, ErrBadLevel)
}

// CheckPath refuses (ErrBadPath) a rule path that is not clean and
// absolute, or holds a control character (no URL can name it).
func CheckPath(p string) error {
	if p == "" || p[0] != '/' || path.Clean(p) != p || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%q: %w", p, ErrBadPath)
	}
	return nil
}

// Same reports whether the rule paths a and b match the same names (see
// the package's Security notes): two rules on them in one list are
// ambiguous.
func Same(a, b string) bool {
	a, b = nfc(a), nfc(b)
	return segments(a) == segments(b) && under(a, b)
}

// Rule grants Level on Path (a clean absolute path) and everything below
// it, unless a rule on a longer prefix says otherwise.
type Rule struct {
	Path  string
	Level Level
}

// Table is the compiled rules of one view. The nil *Table has no rules.
type Table struct {
	// rules is deduplicated, NFC, most segments first: the first that
	// matches a path is its longest matching prefix.
	rules []rule
	// hasWrite tells whether a rule grants Write, hasNone whether one
	// is None.
	hasWrite, hasNone bool
}

type rule struct {
	path  string
	segs  int
	level Level
}

// Compile builds the table of a view whose root is root (a resource path,
// "/" for the whole share): top are the share-wide rules, on paths of the
// share; own the user's, on paths relative to root (what the user sees as
// "/"), which beat a share-wide rule on the same path. The rules must
// have passed CheckPath; a later duplicate within one list is dropped.
func Compile(top []Rule, root string, own []Rule) *Table {
	if len(top) == 0 && len(own) == 0 {
		return nil
	}
	root = path.Clean("/" + root)
	t := &Table{}
	add := func(p string, l Level) {
		p = nfc(p)
		for _, r := range t.rules {
			if Same(r.path, p) {
				return
			}
		}
		t.rules = append(t.rules, rule{path: p, segs: segments(p), level: l})
		t.hasWrite = t.hasWrite || l == Write
		t.hasNone = t.hasNone || l == None
	}
	for _, r := range own {
		add(path.Join(root, r.Path), r.Level)
	}
	for _, r := range top {
		add(r.Path, r.Level)
	}
	slices.SortStableFunc(t.rules, func(a, b rule) int { return cmp.Compare(b.segs, a.segs) })
	return t
}

// Level is what the rules allow on p (a clean resource path of the
// share): the level of the longest rule prefix of p, else def.
func (t *Table) Level(p string, def Level) Level {
	if t == nil {
		return def
	}
	p = clean(p)
	for _, r := range t.rules {
		if under(p, r.path) {
			return r.level
		}
	}
	return def
}

// Restricted reports whether a rule strictly below p allows less than
// need: an operation on p's whole subtree (a COPY, MOVE or DELETE of a
// collection, a LOCK of Depth: infinity) that needs need everywhere would
// cross it. It looks at the rules, not at the tree.
func (t *Table) Restricted(p string, need Level) bool {
	if t == nil {
		return false
	}
	p = clean(p)
	n := segments(p)
	for _, r := range t.rules {
		if r.level < need && r.segs > n && under(r.path, p) {
			return true
		}
	}
	return false
}

// Grants reports whether some rule grants Write: a view whose default is
// read-only may still write there.
func (t *Table) Grants() bool { return t != nil && t.hasWrite }

// Hides reports whether some rule is None: some path is hidden.
func (t *Table) Hides() bool { return t != nil && t.hasNone }

// under reports whether the clean path p is prefix or lies below it, by
// whole segments, without regard to case.
func under(p, prefix string) bool {
	for {
		if prefix == "/" || prefix == "" {
			return true
		}
		if p == "/" || p == "" {
			return false
		}
		ps, prest := first(p)
		xs, xrest := first(prefix)
		if !strings.EqualFold(ps, xs) {
			return false
		}
		p, prefix = prest, xrest
	}
}

// first splits "/a/b" into "a" and "/b" ("a/b" alike).
func first(p string) (seg, rest string) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// segments counts the segments of a clean path ("/" has none).
func segments(p string) int {
	if p == "/" || p == "" {
		return 0
	}
	return strings.Count(p, "/")
}

// clean is p cleaned (rooted, no . or .. segments, no doubled slashes)
// and in NFC: the paths the rules are compared with. It allocates only
// when p is not already so.
func clean(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return nfc(path.Clean(p))
}

// nfc is p in Unicode NFC, p itself (no allocation) when it already is.
func nfc(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] >= 0x80 {
			if norm.NFC.QuickSpanString(p) == len(p) { // no allocation, unlike IsNormalString
				return p
			}
			return norm.NFC.String(p)
		}
	}
	return p
}

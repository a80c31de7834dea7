package proppatch_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/atomdav/atomdav/proppatch"
)

var update = flag.Bool("update", false, "rewrite golden files")

// memStore is a proppatch.Store in memory that can be told to fail.
type memStore struct {
	mu       sync.Mutex // guards the fields below
	props    map[string]map[xml.Name][]byte
	patches  int   // successful PatchProps calls
	propsErr error // returned by Props when set
	patchErr error // returned by PatchProps when set
}

var _ proppatch.Store = (*memStore)(nil)

func newMemStore(path string, props map[xml.Name][]byte) *memStore {
	return &memStore{props: map[string]map[xml.Name][]byte{path: maps.Clone(props)}}
}

func (s *memStore) Props(_ context.Context, path string) (map[xml.Name][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.propsErr != nil {
		return nil, s.propsErr
	}
	return maps.Clone(s.props[path]), nil
}

func (s *memStore) PatchProps(_ context.Context, path string, set map[xml.Name][]byte, remove []xml.Name) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.patchErr != nil {
		return s.patchErr
	}
	m := maps.Clone(s.props[path])
	if m == nil {
		m = make(map[xml.Name][]byte)
	}
	maps.Copy(m, set)
	for _, n := range remove {
		delete(m, n)
	}
	s.props[path] = m
	s.patches++
	return nil
}

// guardedStore is a memStore that is a proppatch.GuardedStore. With
// noProps set, Props fails: the engine must not read before a guarded
// commit.
type guardedStore struct {
	*memStore
	noProps bool
}

var _ proppatch.GuardedStore = guardedStore{}

func (g guardedStore) Props(ctx context.Context, path string) (map[xml.Name][]byte, error) {
	if g.noProps {
		return nil, errors.New("Props called before a guarded commit")
	}
	return g.memStore.Props(ctx, path)
}

func (g guardedStore) PatchPropsIf(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name,
	guard func(int, func() []xml.Name) error) error {
	g.mu.Lock()
	err := g.propsErr // the read inside the transaction fails
	names := slices.Collect(maps.Keys(g.props[path]))
	g.mu.Unlock()
	if err != nil {
		return err
	}
	if err := guard(len(names), func() []xml.Name { return names }); err != nil {
		return fmt.Errorf("refused: %w", err)
	}
	return g.memStore.PatchProps(ctx, path, set, remove)
}

// snapshot returns the properties of path as strings.
func (s *memStore) snapshot(path string) map[xml.Name]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[xml.Name]string)
	for n, v := range s.props[path] {
		out[n] = string(v)
	}
	return out
}

// journal records what the fake live properties did, in order.
type journal struct {
	mu      sync.Mutex // guards entries
	entries []string
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, fmt.Sprintf(format, args...))
}

func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

// fakeLive is a settable live property that logs what it does.
type fakeLive struct {
	name     string
	log      *journal
	checkErr error
	applyErr error
	undoErr  error
}

func (f *fakeLive) Check(value []byte) error {
	if f.checkErr != nil {
		return f.checkErr
	}
	return nil
}

func (f *fakeLive) Apply(_ context.Context, path string, value []byte) (func() error, error) {
	if f.applyErr != nil {
		f.log.add("apply %s failed", f.name)
		return nil, f.applyErr
	}
	f.log.add("apply %s", f.name)
	return func() error {
		f.log.add("undo %s", f.name)
		return f.undoErr
	}, nil
}

// removableLive is a fakeLive that can also be removed.
type removableLive struct{ fakeLive }

var _ proppatch.LiveRemover = (*removableLive)(nil)

func (r *removableLive) Remove(_ context.Context, path string) (func() error, error) {
	r.log.add("remove %s", r.name)
	return func() error { r.log.add("undo remove %s", r.name); return nil }, nil
}

// checkValue verifies that v is one well-formed XML element, standing alone,
// whose expanded name (as encoding/xml resolves it) is want.
func checkValue(v []byte, want xml.Name) error {
	dec := xml.NewDecoder(bytes.NewReader(v))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("value %q does not re-parse: %w", v, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if t.Name != want {
					return fmt.Errorf("value %q is named %v, want %v", v, t.Name, want)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 {
				return fmt.Errorf("value %q has text outside its element", v)
			}
		case xml.ProcInst, xml.Directive:
			if depth == 0 {
				return fmt.Errorf("value %q has %T outside its element", v, t)
			}
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("value %q has %d elements at top level", v, roots)
	}
	return checkPrefixes(v)
}

// checkPrefixes verifies that every prefix used in v is declared in v:
// encoding/xml would otherwise take an undeclared prefix for a namespace.
func checkPrefixes(v []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(v))
	var stack []map[string]bool
	bound := func(p string) bool {
		if p == "" || p == "xml" || p == "xmlns" {
			return true
		}
		for _, m := range stack {
			if m[p] {
				return true
			}
		}
		return false
	}
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			m := make(map[string]bool)
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					m[a.Name.Local] = true
				}
			}
			stack = append(stack, m)
			if !bound(t.Name.Space) {
				return fmt.Errorf("value %q uses undeclared prefix %q", v, t.Name.Space)
			}
			for _, a := range t.Attr {
				if !bound(a.Name.Space) {
					return fmt.Errorf("value %q uses undeclared prefix %q", v, a.Name.Space)
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// golden compares got with testdata/proppatch/name.golden, rewriting the
// file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "proppatch", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("207 body differs from %s\n got: %s\nwant: %s", path, got, want)
	}
}

// statusError is an error a LiveProperty returns to choose a status.
func statusError(status int, msg string) error {
	return &proppatch.Error{Status: status, Err: errors.New(msg)}
}

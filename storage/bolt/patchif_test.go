package bolt

import (
	"context"
	"encoding/xml"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// TestPatchPropsIf checks that the guard sees the names stored for the
// resource (and only its own), that a refusal changes nothing and comes
// back wrapped, and that an accepted patch is made.
func TestPatchPropsIf(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := xml.Name{Space: "urn:x", Local: "a"}, xml.Name{Space: "urn:x", Local: "b"}
	if err := s.PatchProps(ctx, "/f", map[xml.Name][]byte{a: []byte("<a/>")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PatchProps(ctx, "/f/g", map[xml.Name][]byte{b: []byte("<b/>")}, nil); err != nil {
		t.Fatal(err)
	}
	errFull := errors.New("full")
	var seen []xml.Name
	count := -1
	err = s.PatchPropsIf(ctx, "/f", map[xml.Name][]byte{b: []byte("<b/>")}, nil, func(n int, names func() []xml.Name) error {
		count, seen = n, names()
		return errFull
	})
	if !errors.Is(err, errFull) {
		t.Fatalf("refused patch: %v, want the guard's error", err)
	}
	if count != 1 || !slices.Equal(seen, []xml.Name{a}) {
		t.Fatalf("guard saw %d: %v, want only /f's own [%v]", count, seen, a)
	}
	if got, _ := s.Props(ctx, "/f"); len(got) != 1 {
		t.Fatalf("a refused patch changed the properties: %v", got)
	}
	if err := s.PatchPropsIf(ctx, "/f", map[xml.Name][]byte{b: []byte("<b/>")}, []xml.Name{a}, func(int, func() []xml.Name) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Props(ctx, "/f"); len(got) != 1 || got[b] == nil {
		t.Fatalf("after an accepted patch: %v, want only b", got)
	}
}

package bolt

import (
	"context"
	"encoding/xml"
	"maps"
	"path/filepath"
	"testing"
)

// TestFolderPropsExcept: FolderPropsExcept is FolderProps without the
// properties of one namespace, for the folder itself, its members and the
// root; a member with only such properties is absent from the answer; and
// values come back whole and apart (appending to one leaves the next).
func TestFolderPropsExcept(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	skip := "urn:x-skip:"
	rec := xml.Name{Space: skip, Local: "content"}
	other := xml.Name{Space: "urn:x-keep:", Local: "p"}
	set := map[string]map[xml.Name][]byte{
		"/":      {rec: []byte("r0"), other: []byte("o0")},
		"/d":     {rec: []byte("r1"), other: []byte("o1")},
		"/d/a":   {rec: []byte("r2")},
		"/d/b":   {rec: []byte("r3"), other: []byte("o3")},
		"/d/b/x": {other: []byte("deeper")},
		"/e":     {other: []byte("o4")},
		"/f":     {rec: []byte("r5")},
	}
	for p, props := range set {
		if err := s.PatchProps(ctx, p, props, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"/", "/d"} {
		all, err := s.FolderProps(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.FolderPropsExcept(ctx, dir, skip)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]map[xml.Name][]byte{}
		for p, props := range all {
			kept := maps.Clone(props)
			delete(kept, rec)
			if len(kept) > 0 {
				want[p] = kept
			}
		}
		if len(all) == len(want) {
			t.Fatalf("FolderProps(%s) = %v: the test needs a member with only skipped properties", dir, all)
		}
		if len(got) != len(want) {
			t.Fatalf("FolderPropsExcept(%s) = %v, want %v", dir, got, want)
		}
		for p, props := range want {
			if !maps.EqualFunc(got[p], props, func(a, b []byte) bool { return string(a) == string(b) }) {
				t.Errorf("FolderPropsExcept(%s)[%s] = %q, want %q", dir, p, got[p], props)
			}
		}
		for _, props := range all {
			if v := props[rec]; v != nil {
				_ = append(v, "XXXX"...) // must not write into a neighbour
			}
		}
		for p, props := range all {
			if v, ok := set[p][rec]; ok && string(props[rec]) != string(v) {
				t.Errorf("FolderProps(%s)[%s] = %q after appending to others, want %q", dir, p, props[rec], v)
			}
		}
	}
}

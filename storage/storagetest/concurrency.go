package storagetest

import (
	"context"
	"encoding/xml"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// writers is the number of concurrent writers in testConcurrency.
const writers = 16

// patchesPerWriter is how many patches each writer commits; fewer with -short.
func patchesPerWriter() int {
	if testing.Short() {
		return 5
	}
	return 25
}

// testConcurrency checks that concurrent patches are all kept and that
// each patch is atomic, also to readers running at the same time.
func testConcurrency(t *testing.T, open Opener) {
	t.Run("distinct resources", func(t *testing.T) {
		t.Parallel()
		testDistinct(t, newStore(t, open))
	})
	t.Run("same resource", func(t *testing.T) {
		t.Parallel()
		testSame(t, newStore(t, open))
	})
}

// testDistinct has each writer patch its own resource repeatedly, adding
// one property per patch and overwriting a counter, while a reader scans
// the folder.
func testDistinct(t *testing.T, s storage.Store) {
	ctx := context.Background()
	n := patchesPerWriter()
	counter := xml.Name{Space: "urn:c", Local: "n"}
	item := func(i int) xml.Name { return xml.Name{Space: "urn:c", Local: fmt.Sprintf("k%d", i)} }
	var done atomic.Bool
	var readers sync.WaitGroup
	readers.Go(func() {
		for !done.Load() {
			if _, err := s.FolderProps(ctx, "/conc"); err != nil {
				t.Errorf("FolderProps during writes: %v", err)
				return
			}
		}
	})
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			p := fmt.Sprintf("/conc/g%02d", g)
			for i := range n {
				v := []byte(fmt.Sprint(i))
				if err := s.PatchProps(ctx, p, props{counter: v, item(i): v}, nil); err != nil {
					t.Errorf("PatchProps(%q) #%d: %v", p, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()

	want := props{counter: []byte(fmt.Sprint(n - 1))}
	for i := range n {
		want[item(i)] = []byte(fmt.Sprint(i))
	}
	got, err := s.FolderProps(ctx, "/conc")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers {
		t.Errorf("FolderProps(/conc) has %d resources, want %d", len(got), writers)
	}
	for p, m := range got {
		if !equalProps(m, want) {
			t.Errorf("%s =\n%s\nwant\n%s", p, format(m), format(want))
		}
	}
}

// testSame has every writer set P1..P5 of one resource to its own value in
// each patch; readers, during and after, must see all five agree.
func testSame(t *testing.T, s storage.Store) {
	ctx := context.Background()
	names := make([]xml.Name, 5)
	for i := range names {
		names[i] = xml.Name{Space: "urn:same", Local: fmt.Sprintf("P%d", i+1)}
	}
	var done atomic.Bool
	var readers sync.WaitGroup
	readers.Go(func() {
		for !done.Load() && checkAgree(t, s, names, false) {
		}
	})
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range patchesPerWriter() {
				v := []byte(fmt.Sprintf(`<P xmlns="urn:same">%d-%d</P>`, g, i))
				set := make(props)
				for _, n := range names {
					set[n] = v
				}
				if err := s.PatchProps(ctx, "/same", set, nil); err != nil {
					t.Errorf("PatchProps #%d-%d: %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	checkAgree(t, s, names, true)
}

// checkAgree checks that /same has either none of names (if !final) or all
// of them with one value, and reports whether it does.
func checkAgree(t *testing.T, s storage.Store, names []xml.Name, final bool) bool {
	got, err := s.Props(context.Background(), "/same")
	if err != nil {
		t.Errorf("Props(/same): %v", err)
		return false
	}
	if len(got) == 0 && !final {
		return true
	}
	if len(got) != len(names) {
		t.Errorf("Props(/same) has %d properties, want %d:\n%s", len(got), len(names), format(got))
		return false
	}
	for _, n := range names[1:] {
		if string(got[n]) != string(got[names[0]]) {
			t.Errorf("Props(/same) disagree, a patch was not atomic:\n%s", format(got))
			return false
		}
	}
	return true
}

package dav

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/atomdav/atomdav/storage"
)

// TestRecoverShared: a MOVE a dead peer left half done (renamed, props not
// moved) is completed; an intent that vanished meanwhile is left alone.
func TestRecoverShared(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	ctx := context.Background()
	store := h.fs.Store()
	name := xml.Name{Space: "urn:t", Local: "p"}
	if err := store.PatchProps(ctx, "/f", map[xml.Name][]byte{name: []byte(`<p xmlns="urn:t">1</p>`)}, nil); err != nil {
		t.Fatal(err)
	}
	in, err := store.BeginIntent(ctx, storage.Intent{Op: storage.OpMove, Src: "/f", Dst: "/g"})
	if err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(h.fs.Root(), "f"), filepath.Join(h.fs.Root(), "g"))
	done, err := h.RecoverShared(ctx)
	if err != nil || len(done) != 1 || done[0].ID != in.ID {
		t.Fatalf("RecoverShared = %v, %v; want the move", done, err)
	}
	if props, _ := store.Props(ctx, "/g"); len(props) != 1 {
		t.Fatalf("props at /g after recovery: %v", props)
	}
	if done, err := h.RecoverShared(ctx); err != nil || len(done) != 0 {
		t.Fatalf("second RecoverShared = %v, %v; want nothing", done, err)
	}
}

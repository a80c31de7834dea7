package postgres

import (
	"testing"

	"github.com/atomdav/atomdav/storage/storagetest"
)

// TestJournalTwoInstances checks that two instances sharing a database
// see one journal whose sync points follow commit order: entries written
// through one are read through the other with none skipped, and both
// name the journal alike.
func TestJournalTwoInstances(t *testing.T) {
	sc := newSchemas(t)
	dir := t.TempDir()
	a, b := sc.open(t, dir), sc.open(t, dir)
	defer a.Close()
	defer b.Close()
	storagetest.JournalOrder(t, a, b)
	ida, _ := a.JournalID(t.Context())
	idb, _ := b.JournalID(t.Context())
	if ida == "" || ida != idb {
		t.Errorf("journal ids %q and %q", ida, idb)
	}
}

package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// testJournal checks storage.Journal, for stores that keep one.
func testJournal(t *testing.T, open Opener) {
	if _, ok := newStore(t, open).(storage.Journal); !ok {
		t.Skip("the store keeps no journal")
	}
	inParallel(t, open, map[string]func(*testing.T, Opener){
		"RecordAndRead":  testJournalRecord,
		"Index":          testJournalIndex,
		"IndexIsATree":   testJournalIndexTree,
		"Tags":           testJournalTags,
		"SameCommit":     testJournalSameCommit,
		"Intents":        testJournalIntents,
		"IntentOverOld":  testJournalIntentOverOld,
		"Compact":        testJournalCompact,
		"Persistence":    testJournalPersistence,
		"ConcurrentSeqs": func(t *testing.T, open Opener) { s := journalOf(t, open); JournalOrder(t, s, s) },
	})
}

func journalOf(t *testing.T, open Opener) interface {
	storage.Store
	storage.Journal
} {
	s := newStore(t, open)
	return s.(interface {
		storage.Store
		storage.Journal
	})
}

func upsert(p string, dir bool) storage.Change {
	return storage.Change{Path: p, Kind: storage.ChangeUpsert, Dir: dir, Size: 3, MtimeNs: 7, Inode: 9}
}

func removal(p string) storage.Change { return storage.Change{Path: p, Kind: storage.ChangeRemoved} }

// since reads the entries after seq as "kind path" strings.
func since(t *testing.T, j storage.Journal, seq uint64) ([]string, uint64) {
	t.Helper()
	var out []string
	end, err := j.ChangesSince(context.Background(), seq, func(c storage.Change) error {
		out = append(out, fmt.Sprintf("%d %s", c.Kind, c.Path))
		return nil
	})
	if err != nil {
		t.Fatalf("ChangesSince(%d): %v", seq, err)
	}
	return out, end
}

func record(t *testing.T, j storage.Journal, changes ...storage.Change) uint64 {
	t.Helper()
	seq, err := j.RecordChanges(context.Background(), changes)
	if err != nil {
		t.Fatalf("RecordChanges: %v", err)
	}
	return seq
}

func testJournalRecord(t *testing.T, open Opener) {
	j := journalOf(t, open)
	ctx := context.Background()
	if sp, err := j.SyncPoint(ctx); err != nil || sp != 0 {
		t.Fatalf("SyncPoint of a new journal = %d, %v; want 0", sp, err)
	}
	s1 := record(t, j, upsert("/a", true), upsert("/a/f", false))
	s2 := record(t, j, removal("/a/f"))
	if s1 != 2 || s2 != 3 {
		t.Errorf("sync points %d, %d; want 2, 3", s1, s2)
	}
	got, end := since(t, j, 0)
	if want := []string{"1 /a", "1 /a/f", "2 /a/f"}; !slices.Equal(got, want) || end != 3 {
		t.Errorf("ChangesSince(0) = %q up to %d; want %q up to 3", got, end, want)
	}
	if got, _ := since(t, j, 2); !slices.Equal(got, []string{"2 /a/f"}) {
		t.Errorf("ChangesSince(2) = %q", got)
	}
	if _, err := j.ChangesSince(ctx, 4, func(storage.Change) error { return nil }); !errors.Is(err, storage.ErrSyncTooOld) {
		t.Errorf("ChangesSince past the sync point: %v, want ErrSyncTooOld", err)
	}
	if _, err := j.RecordChanges(ctx, []storage.Change{upsert("a/..", false)}); !errors.Is(err, storage.ErrInvalidPath) {
		t.Errorf("RecordChanges of an unclean path: %v", err)
	}
	id, err := j.JournalID(ctx)
	if err != nil || id == "" {
		t.Errorf("JournalID = %q, %v", id, err)
	}
}

// children lists IndexChildren(dir) as paths.
func children(t *testing.T, j storage.Journal, dir string) []string {
	t.Helper()
	var out []string
	err := j.IndexChildren(context.Background(), dir, func(c storage.Change) error {
		if c.Kind != storage.ChangeUpsert || c.Size != 3 && !c.Dir || c.Inode != 9 {
			t.Errorf("IndexChildren: %+v", c)
		}
		out = append(out, c.Path)
		return nil
	})
	if err != nil {
		t.Fatalf("IndexChildren(%q): %v", dir, err)
	}
	return out
}

func testJournalIndex(t *testing.T, open Opener) {
	j := journalOf(t, open)
	record(t, j, upsert("/d", true), upsert("/d/b", false), upsert("/d/a", true), upsert("/d/a/x", false),
		upsert("/d b", false), upsert("/e", false))
	if got, want := children(t, j, "/"), []string{"/d", "/d b", "/e"}; !slices.Equal(got, want) {
		t.Errorf("IndexChildren(/) = %q, want %q", got, want)
	}
	if got, want := children(t, j, "/d"), []string{"/d/a", "/d/b"}; !slices.Equal(got, want) {
		t.Errorf("IndexChildren(/d) = %q, want %q", got, want)
	}
	ctx := context.Background()
	if c, ok, err := j.IndexEntry(ctx, "/d/b"); err != nil || !ok || c.Path != "/d/b" || c.Kind != storage.ChangeUpsert || c.Dir || c.Size != 3 || c.Inode != 9 {
		t.Errorf("IndexEntry(/d/b) = %+v, %v, %v", c, ok, err)
	}
	if c, ok, err := j.IndexEntry(ctx, "/d/a"); err != nil || !ok || !c.Dir {
		t.Errorf("IndexEntry(/d/a) = %+v, %v, %v", c, ok, err)
	}
	if _, ok, err := j.IndexEntry(ctx, "/d/nope"); err != nil || ok {
		t.Errorf("IndexEntry of a path never recorded: %v, %v", ok, err)
	}
	record(t, j, removal("/d"))
	if _, ok, err := j.IndexEntry(ctx, "/d/a/x"); err != nil || ok {
		t.Errorf("IndexEntry(/d/a/x) after removing /d: %v, %v", ok, err)
	}
	if got := children(t, j, "/d/a"); len(got) != 0 {
		t.Errorf("IndexChildren(/d/a) after removing /d = %q", got)
	}
	if got, want := children(t, j, "/"), []string{"/d b", "/e"}; !slices.Equal(got, want) {
		t.Errorf("IndexChildren(/) = %q, want %q", got, want)
	}
	many := make([]storage.Change, 1200)
	for i := range many {
		many[i] = upsert(fmt.Sprintf("/m/%04d", i), false)
	}
	record(t, j, many...)
	if got := children(t, j, "/m"); len(got) != 1200 || got[1199] != "/m/1199" {
		t.Errorf("IndexChildren of 1200 = %d, last %q", len(got), got[len(got)-1])
	}
}

// testJournalIndexTree: an upsert below folders the index does not hold
// indexes them too (of unknown inode, no entries of their own), so the
// index stays a tree: listing from the root finds the path, and a
// removal of a folder above takes it.
func testJournalIndexTree(t *testing.T, open Opener) {
	j := journalOf(t, open)
	ctx := context.Background()
	start := record(t, j, upsert("/a", true))
	record(t, j, upsert("/a/b/c/f", false))
	for _, d := range []string{"/a/b", "/a/b/c"} {
		if c, ok, err := j.IndexEntry(ctx, d); err != nil || !ok || !c.Dir || c.Inode != 0 || c.Kind != storage.ChangeUpsert {
			t.Errorf("IndexEntry(%s) = %+v, %v, %v; want a folder of unknown inode", d, c, ok, err)
		}
	}
	if c, ok, err := j.IndexEntry(ctx, "/a"); err != nil || !ok || c.Inode != 9 {
		t.Errorf("IndexEntry(/a) = %+v, %v, %v; want it as recorded", c, ok, err)
	}
	if got, _ := since(t, j, start); !slices.Equal(got, []string{"1 /a/b/c/f"}) {
		t.Errorf("entries %q; the folders indexed with it have none", got)
	}
	record(t, j, removal("/a/b"))
	if _, ok, err := j.IndexEntry(ctx, "/a/b/c/f"); err != nil || ok {
		t.Errorf("IndexEntry(/a/b/c/f) after removing /a/b: %v, %v", ok, err)
	}
	// An upsert after a removal of its folder in one batch brings the
	// folder back, as a folder of unknown inode.
	record(t, j, removal("/a"), upsert("/a/x", false))
	if c, ok, err := j.IndexEntry(ctx, "/a"); err != nil || !ok || c.Inode != 0 {
		t.Errorf("IndexEntry(/a) = %+v, %v, %v; want a folder of unknown inode", c, ok, err)
	}
}

func tagOf(t *testing.T, j storage.Journal, p string) uint64 {
	t.Helper()
	tag, err := j.FolderTag(context.Background(), p)
	if err != nil {
		t.Fatalf("FolderTag(%q): %v", p, err)
	}
	return tag
}

func testJournalTags(t *testing.T, open Opener) {
	j := journalOf(t, open)
	record(t, j, upsert("/a/b/c/f", false), upsert("/z/g", false))
	a, z := tagOf(t, j, "/a"), tagOf(t, j, "/z")
	if a == 0 || z == 0 || tagOf(t, j, "/a/b/c") == 0 {
		t.Fatalf("tags after changes below: /a %d, /z %d", a, z)
	}
	root := tagOf(t, j, "/")
	record(t, j, upsert("/a/b/c/f", false))
	if tagOf(t, j, "/a") == a || tagOf(t, j, "/") == root {
		t.Errorf("a deep change did not move the tags of /a and /")
	}
	if tagOf(t, j, "/z") != z {
		t.Errorf("a change under /a moved the tag of /z")
	}
	got := map[string]uint64{}
	if err := j.FolderTags(context.Background(), "/", func(p string, tag uint64) { got[p] = tag }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["/a"] != tagOf(t, j, "/a") || got["/z"] != z || got["/"] == 0 {
		t.Errorf("FolderTags(/) = %v", got)
	}
}

func testJournalSameCommit(t *testing.T, open Opener) {
	j := journalOf(t, open)
	ctx := storage.WithChanges(context.Background(), upsert("/p", false))
	if err := j.PatchProps(ctx, "/p", origin("/p"), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := since(t, j, 0); !slices.Equal(got, []string{"1 /p"}) {
		t.Errorf("PatchProps with changes journaled %q", got)
	}
	bad := props{{Space: "urn:x", Local: ""}: []byte("<x/>")}
	if err := j.PatchProps(ctx, "/p", bad, nil); err == nil {
		t.Fatal("PatchProps of an empty name succeeded")
	}
	if got, _ := since(t, j, 0); len(got) != 1 {
		t.Errorf("a refused PatchProps journaled: %q", got)
	}
	if err := j.PatchProps(context.Background(), "/p", origin("/q"), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := since(t, j, 0); len(got) != 1 {
		t.Errorf("PatchProps without changes journaled: %q", got)
	}
}

func testJournalIntents(t *testing.T, open Opener) {
	j := journalOf(t, open)
	ctx := context.Background()
	record(t, j, upsert("/src", true), upsert("/src/f", false))
	start, _ := j.SyncPoint(ctx)
	in, err := j.BeginIntent(ctx, storage.Intent{Op: storage.OpMove, Src: "/src", Dst: "/dst"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := since(t, j, start); len(got) != 0 {
		t.Errorf("BeginIntent journaled %q", got)
	}
	if err := j.CompleteIntent(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	// The entries of one commit may come in any order.
	if got, want := sorted(func() []string { g, _ := since(t, j, start); return g }()), sorted([]string{"2 /src", "2 /src/f", "1 /dst"}); !slices.Equal(got, want) {
		t.Errorf("a completed move journaled %q, want %q", got, want)
	}
	if got := children(t, j, "/dst"); !slices.Equal(got, []string{"/dst/f"}) {
		t.Errorf("index under /dst after the move: %q", got)
	}
	if got := children(t, j, "/src"); len(got) != 0 {
		t.Errorf("index under /src after the move: %q", got)
	}
	var sub bool
	j.ChangesSince(ctx, start+2, func(c storage.Change) error { sub = c.Subtree && c.Dir; return nil })
	if !sub {
		t.Errorf("the destination of a folder's move is not a Subtree upsert")
	}
}

// testJournalIntentOverOld: a move or copy onto a destination the index
// still holds (gone from the disk before a watcher saw it) journals the
// removal of what the index held there, so no client keeps it for good.
func testJournalIntentOverOld(t *testing.T, open Opener) {
	j := journalOf(t, open)
	ctx := context.Background()
	record(t, j, upsert("/src", true), upsert("/src/f", false), upsert("/dst", true), upsert("/dst/old", false),
		upsert("/cp", true), upsert("/cp/old", false))
	for _, in := range []storage.Intent{{Op: storage.OpMove, Src: "/src", Dst: "/dst"}, {Op: storage.OpCopy, Src: "/dst", Dst: "/cp"}} {
		start, _ := j.SyncPoint(ctx)
		bi, err := j.BeginIntent(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := j.CompleteIntent(ctx, bi.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := since(t, j, start)
		if !slices.Contains(got, "2 "+in.Dst+"/old") {
			t.Errorf("%v onto an indexed %s journaled %q: no removal of %s/old", in.Op, in.Dst, got, in.Dst)
		}
		if got := children(t, j, in.Dst); !slices.Equal(got, []string{in.Dst + "/f"}) {
			t.Errorf("index under %s after %v: %q", in.Dst, in.Op, got)
		}
	}
}

func testJournalCompact(t *testing.T, open Opener) {
	j := journalOf(t, open)
	ctx := context.Background()
	for i := range 10 {
		record(t, j, upsert(fmt.Sprintf("/f%d", i), false))
	}
	n, err := j.Compact(ctx, time.Time{}, 4)
	if err != nil || n != 6 {
		t.Fatalf("Compact(keep 4) = %d, %v; want 6", n, err)
	}
	if _, err := j.ChangesSince(ctx, 5, func(storage.Change) error { return nil }); !errors.Is(err, storage.ErrSyncTooOld) {
		t.Errorf("ChangesSince a compacted point: %v, want ErrSyncTooOld", err)
	}
	if got, _ := since(t, j, 6); len(got) != 4 {
		t.Errorf("ChangesSince(6) after compaction = %q", got)
	}
	if n, err := j.Compact(ctx, time.Now().Add(time.Hour), 0); err != nil || n != 4 {
		t.Errorf("Compact(older than in an hour) = %d, %v; want 4", n, err)
	}
	if got, end := since(t, j, 10); len(got) != 0 || end != 10 {
		t.Errorf("ChangesSince(10) of an emptied journal = %q up to %d", got, end)
	}
}

func testJournalPersistence(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := open(t, dir)
	j := s.(storage.Journal)
	record(t, j, upsert("/a", false), removal("/b"))
	record(t, j, upsert("/d/e/f", false), upsert("/g/h", true))
	if _, err := j.Compact(context.Background(), time.Time{}, 0); err != nil { // may checkpoint what it keeps
		t.Fatal(err)
	}
	record(t, j, upsert("/d/x", false), removal("/g"), upsert("/k/l", true))
	id, _ := j.JournalID(context.Background())
	tags := map[string]uint64{}
	for _, p := range []string{"/", "/d", "/d/e", "/g", "/g/h", "/k", "/k/l"} {
		tags[p] = tagOf(t, j, p)
	}
	if tags["/d"] <= tags["/d/e"] || tags["/g"] != 0 || tags["/g/h"] != 0 || tags["/k/l"] == 0 {
		t.Errorf("tags before reopening: %v", tags)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	j = openIn(t, open, dir).(storage.Journal)
	if got, _ := since(t, j, 0); !slices.Equal(sorted(got), sorted([]string{"1 /a", "2 /b", "1 /d/e/f", "1 /g/h", "1 /d/x", "2 /g", "2 /g/h", "1 /k/l"})) {
		t.Errorf("after reopening: %q", got)
	}
	for p, want := range tags {
		if got := tagOf(t, j, p); got != want {
			t.Errorf("FolderTag(%s) after reopening = %d, want %d", p, got, want)
		}
	}
	if id2, _ := j.JournalID(context.Background()); id2 != id {
		t.Errorf("JournalID changed on reopening: %q then %q", id, id2)
	}
}

// JournalOrder checks that sync points follow commit order as readers see
// them, with writers on a and a reader on b (two instances sharing one
// store, or the same one): every read from the last sync point up to the
// one it returns finds each entry in between, none skipped, though
// writers commit concurrently.
func JournalOrder(t *testing.T, a, b storage.Journal) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 60; i++ {
				if _, err := a.RecordChanges(ctx, []storage.Change{upsert(fmt.Sprintf("/w%d/%d", w, i), false)}); err != nil && ctx.Err() == nil {
					t.Errorf("RecordChanges: %v", err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var last uint64
	seen := 0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		next := last + 1
		end, err := b.ChangesSince(context.Background(), last, func(c storage.Change) error {
			if c.Seq != next {
				return fmt.Errorf("entry %d after %d: an entry skipped or out of order", c.Seq, next-1)
			}
			next++
			seen++
			return nil
		})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if next-1 != end {
			cancel()
			t.Fatalf("read up to %d, sync point %d", next-1, end)
		}
		last = end
	}
	cancel()
	if seen != 240 {
		t.Errorf("read %d entries, want 240", seen)
	}
}

// sorted is a sorted copy of s.
func sorted(s []string) []string {
	return slices.Sorted(slices.Values(s))
}

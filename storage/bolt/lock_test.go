package bolt

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// waitQueued waits until n writes wait in the queue behind blockWriter.
func waitQueued(t *testing.T, s *Store, n int, release func()) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(s.writes) < n; {
		if time.Now().After(deadline) {
			release()
			t.Fatalf("%d writes queued, want %d", len(s.writes), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLockConflictInOneGroup queues conflicting CreateLock calls, a
// PatchProps and a DeleteLock of an unknown token into one group: each
// lock must see those applied before it in the same transaction (one
// wins), and the refused writes must fail alone without rolling the group
// back (one transaction).
func TestLockConflictInOneGroup(t *testing.T) {
	s := openTest(t, t.TempDir()).(*Store)
	defer s.Close()
	ctx := context.Background()
	release := blockWriter(t, s)
	const locks = 4
	var creates [locks]error
	var patch, del error
	var wg sync.WaitGroup
	for i := range creates {
		wg.Go(func() {
			_, creates[i] = s.CreateLock(ctx, storage.Lock{Token: fmt.Sprintf("urn:t:%d", i), Root: "/g", Timeout: time.Hour}, storage.LockLimits{})
		})
	}
	wg.Go(func() { patch = s.PatchProps(ctx, "/p", map[xml.Name][]byte{{Local: "x"}: []byte("<x/>")}, nil) })
	wg.Go(func() { del = s.DeleteLock(ctx, "urn:t:unknown") })
	waitQueued(t, s, locks+2, release)
	before := s.txns.Load()
	release()
	wg.Wait()

	won := 0
	for i, err := range creates {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, storage.ErrLocked):
			t.Errorf("CreateLock #%d = %v, want nil or storage.ErrLocked", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d conflicting CreateLock calls in one group succeeded, want 1", won)
	}
	if patch != nil {
		t.Errorf("PatchProps = %v, want nil", patch)
	}
	if !errors.Is(del, storage.ErrNoLock) {
		t.Errorf("DeleteLock = %v, want storage.ErrNoLock", del)
	}
	if got := s.txns.Load() - before; got != 2 {
		t.Errorf("%d transactions committed after release, want 2: the blocker's and the group's", got)
	}
}

// TestRefusedGroupCommitsNothing checks that a group whose every write is
// refused is rolled back: no commit, no fsync.
func TestRefusedGroupCommitsNothing(t *testing.T) {
	s := openTest(t, t.TempDir()).(*Store)
	defer s.Close()
	ctx := context.Background()
	release := blockWriter(t, s)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = s.RefreshLock(ctx, fmt.Sprintf("urn:t:%d", i), time.Hour) })
	}
	waitQueued(t, s, len(errs), release)
	before := s.txns.Load()
	release()
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, storage.ErrNoLock) {
			t.Errorf("RefreshLock #%d = %v, want storage.ErrNoLock", i, err)
		}
	}
	if got := s.txns.Load() - before; got != 1 {
		t.Errorf("%d transactions committed after release, want only the blocker's", got)
	}
}

// TestRefusalIsolated checks at the writer that a refused write fails alone
// and its group commits in one transaction.
func TestRefusalIsolated(t *testing.T) {
	s := openTest(t, t.TempDir()).(*Store)
	defer s.Close()
	bad := errors.New("refused")
	put := func(k string) func(*bbolt.Bucket) error {
		return func(b *bbolt.Bucket) error { return b.Put([]byte(k), []byte("v")) }
	}
	group := []*write{
		{ctx: context.Background(), apply: put("\x01one\x00\x00n"), done: make(chan error, 1)},
		{ctx: context.Background(), apply: func(*bbolt.Bucket) error { return refuse(bad) }, done: make(chan error, 1)},
		{ctx: context.Background(), apply: put("\x01two\x00\x00n"), done: make(chan error, 1)},
	}
	before := s.txns.Load()
	s.commit(group)
	for i, want := range []error{nil, bad, nil} {
		if err := <-group[i].done; !errors.Is(err, want) {
			t.Errorf("write %d = %v, want %v", i, err, want)
		}
	}
	if got := s.txns.Load() - before; got != 1 {
		t.Errorf("%d transactions, want 1", got)
	}
	got, err := s.FolderProps(context.Background(), "/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["/one"] == nil || got["/two"] == nil {
		t.Errorf("FolderProps(/) = %v, want /one and /two", got)
	}
}

// TestDeleteLocksUnderNoneWritesNothing checks that DeleteLocksUnder with
// no lock to remove does not commit (a DELETE must not pay an fsync for
// it).
func TestDeleteLocksUnderNoneWritesNothing(t *testing.T) {
	s := openTest(t, t.TempDir()).(*Store)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.CreateLock(ctx, storage.Lock{Token: "urn:t:1", Root: "/ab", Timeout: time.Hour}, storage.LockLimits{}); err != nil {
		t.Fatal(err)
	}
	before := s.txns.Load()
	if err := s.DeleteLocksUnder(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	if got := s.txns.Load() - before; got != 0 {
		t.Errorf("%d transactions committed, want 0", got)
	}
}

// TestCreateLockHugeTimeout checks that a timeout past the end of Unix
// nanoseconds saturates instead of wrapping into the past.
func TestCreateLockHugeTimeout(t *testing.T) {
	s := openTest(t, t.TempDir()).(*Store)
	defer s.Close()
	l, err := s.CreateLock(context.Background(), storage.Lock{Token: "urn:t:1", Root: "/a", Timeout: math.MaxInt64}, storage.LockLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(0, math.MaxInt64); !l.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", l.Expires, want)
	}
	if locks, err := s.Locks(context.Background(), "/a"); err != nil || len(locks) != 1 {
		t.Errorf("Locks(/a) = %v, %v; want the lock", locks, err)
	}
}

// testRecord is a record with every field set, in bytes JSON would mangle.
var testRecord = lockRecord{
	lock: storage.Lock{
		Token: "urn:uuid:1", Root: "/a\xff/ü 𝄞", Depth0: true, Shared: true,
		Owner:   []byte("<o>\xff\x00 𝄞</o>"),
		OwnerNS: map[string]string{"": "urn:d", "ü": "urn:\xff"},
		Timeout: time.Minute, Expires: time.Unix(0, 1_700_000_060_000_000_123),
		Principal: "ålice\xff",
	},
	created: 1_700_000_000_000_000_123,
}

func TestLockRecordRoundTrip(t *testing.T) {
	for _, rec := range []lockRecord{testRecord, {lock: storage.Lock{Token: "t", Root: "/", Timeout: 1, Expires: time.Unix(0, -5)}}} {
		got, err := decodeLock(rec.lock.Token, rec.encode())
		if err != nil {
			t.Fatal(err)
		}
		l, w := got.lock, rec.lock
		if got.created != rec.created || l.Token != w.Token || l.Root != w.Root || l.Depth0 != w.Depth0 ||
			l.Shared != w.Shared || string(l.Owner) != string(w.Owner) || !maps.Equal(l.OwnerNS, w.OwnerNS) ||
			l.Timeout != w.Timeout || !l.Expires.Equal(w.Expires) || l.Principal != w.Principal {
			t.Errorf("decode(encode(%+v)) = %+v", rec, got)
		}
	}
}

// TestLockRecordVersion1 checks that a record written before locks had
// principals (version 1: no Principal field) still decodes, as the
// anonymous principal's lock, with every other field kept.
func TestLockRecordVersion1(t *testing.T) {
	rec := testRecord
	rec.lock.Principal = ""
	v2 := rec.encode()
	v1 := encodeV1(rec)
	got, err := decodeLock(rec.lock.Token, v1)
	if err != nil {
		t.Fatalf("decode of a version 1 record: %v", err)
	}
	if string(got.encode()) != string(v2) {
		t.Errorf("version 1 record decoded as %+v, want %+v", got, rec)
	}
	if _, err := decodeLock("t", append(v1, 0)); !errors.Is(err, errMalformedLock) {
		t.Errorf("decode of a version 1 record with a trailing byte = %v, want errMalformedLock", err)
	}
}

// encodeV1 lays rec out as version 1 did: no Principal (rec has none).
func encodeV1(rec lockRecord) []byte {
	v2 := rec.encode()
	return append([]byte{lockVersionV1}, v2[1:len(v2)-1]...) // without the empty Principal
}

// TestLockRecordMalformed checks that every truncation, trailing bytes and
// unknown versions or flags are reported, not trusted (nor a panic).
func TestLockRecordMalformed(t *testing.T) {
	v := testRecord.encode()
	for n := range len(v) {
		if _, err := decodeLock("t", v[:n]); !errors.Is(err, errMalformedLock) {
			t.Errorf("decode of %d of %d bytes = %v, want errMalformedLock", n, len(v), err)
		}
	}
	bare := lockRecord{lock: storage.Lock{Root: "/", Timeout: 1}}.encode() // ends with OwnerNS count 0, empty Principal
	for name, b := range map[string][]byte{
		"trailing byte":    append(testRecord.encode(), 0),
		"version 3":        append([]byte{3}, v[1:]...),
		"unknown flag":     append([]byte{v[0], 4}, v[2:]...),
		"huge OwnerNS len": append(bare[:len(bare)-2:len(bare)-2], 0xff, 0xff, 0xff, 0xff, 0x0f, 0),
		"huge Principal":   append(bare[:len(bare)-1:len(bare)-1], 0xff, 0xff, 0xff, 0xff, 0x0f),
		"zero timeout":     lockRecord{lock: storage.Lock{Root: "/"}}.encode(),
		"unclean root":     lockRecord{lock: storage.Lock{Root: "/a/", Timeout: 1}}.encode(),
	} {
		if _, err := decodeLock("t", b); !errors.Is(err, errMalformedLock) {
			t.Errorf("%s: decode = %v, want errMalformedLock", name, err)
		}
	}
	if _, err := decodeLock("", v); !errors.Is(err, errMalformedLock) {
		t.Errorf("decode with the empty token = %v, want errMalformedLock", err)
	}
}

// FuzzDecodeLock checks that decodeLock never panics and that what it
// accepts survives encode and decode unchanged.
func FuzzDecodeLock(f *testing.F) {
	f.Add(testRecord.encode())
	f.Add(lockRecord{lock: storage.Lock{Root: "/", Timeout: 1}}.encode())
	v1 := testRecord
	v1.lock.Principal = ""
	f.Add(encodeV1(v1)) // records written before principals are still read
	f.Fuzz(func(t *testing.T, v []byte) {
		rec, err := decodeLock("t", v)
		if err != nil {
			return
		}
		again, err := decodeLock("t", rec.encode())
		if err != nil {
			t.Fatalf("decode(encode(decode(%q))): %v", v, err)
		}
		if string(again.encode()) != string(rec.encode()) {
			t.Errorf("decode(%q) changed by a round trip: %+v, then %+v", v, rec, again)
		}
	})
}

// TestLocksWithoutTableRead checks the empty-table shortcut of Locks and
// DeleteLocksUnder: a lock is seen as soon as CreateLock returns, an
// expired lock not yet swept keeps the table non-empty, the last UNLOCK
// empties it, and a reopened store knows whether its file holds locks.
func TestLocksWithoutTableRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "state.db")
	s, err := Open(file, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := func(s *Store, p string) int {
		t.Helper()
		ls, err := s.Locks(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return len(ls)
	}
	if s.mayHaveLocks.Load() || count(s, "/a") != 0 {
		t.Fatal("a new store has locks")
	}
	if _, err := s.CreateLock(ctx, storage.Lock{Token: "urn:t:1", Root: "/a", Timeout: time.Hour}, storage.LockLimits{}); err != nil {
		t.Fatal(err)
	}
	if count(s, "/a") != 1 {
		t.Fatal("the lock just created is not seen")
	}
	if err := s.PatchProps(ctx, "/p", map[xml.Name][]byte{{Local: "x"}: []byte("<x/>")}, nil); err != nil {
		t.Fatal(err)
	}
	if count(s, "/a/b") != 1 {
		t.Fatal("a write that leaves the lock lost it")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(file, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	if count(s, "/a") != 1 {
		t.Fatal("the reopened store does not see its lock")
	}
	if err := s.DeleteLock(ctx, "urn:t:1"); err != nil {
		t.Fatal(err)
	}
	if s.mayHaveLocks.Load() || count(s, "/a") != 0 {
		t.Fatal("the table is empty but still read")
	}
	if _, err := s.CreateLock(ctx, storage.Lock{Token: "urn:t:2", Root: "/b", Timeout: time.Nanosecond}, storage.LockLimits{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	if !s.mayHaveLocks.Load() || count(s, "/b") != 0 {
		t.Fatal("an expired lock left in the table must keep it read, and not be reported")
	}
	if err := s.DeleteLocksUnder(ctx, "/"); err != nil { // sweeps it
		t.Fatal(err)
	}
	if s.mayHaveLocks.Load() {
		t.Fatal("the sweep emptied the table but the store still reads it")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Locks(ctx, "/a"); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Locks on a closed store: %v, want ErrClosed", err)
	}
	if err := s.DeleteLocksUnder(ctx, "/a"); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("DeleteLocksUnder on a closed store: %v, want ErrClosed", err)
	}
}

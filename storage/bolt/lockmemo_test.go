package bolt

import (
	"testing"
	"time"

	"github.com/atomdav/atomdav/storage"
)

// TestLockMemoFollowsBytes checks that the memo answers a record's new
// bytes with their own decoding, not the one it remembers for the token,
// and that a damaged record is still reported.
func TestLockMemoFollowsBytes(t *testing.T) {
	var m lockMemo
	rec := lockRecord{lock: storage.Lock{Token: "t", Root: "/a", Timeout: time.Minute, Expires: time.Unix(0, 100)}, created: 1}
	got, err := m.decode([]byte("t"), rec.encode())
	if err != nil || got.lock.Expires.UnixNano() != 100 {
		t.Fatalf("first decode: %v, %v", got.lock.Expires, err)
	}
	rec.lock.Expires = time.Unix(0, 200)
	got, err = m.decode([]byte("t"), rec.encode())
	if err != nil || got.lock.Expires.UnixNano() != 200 {
		t.Fatalf("after a refresh: %v, %v; want the new expiry", got.lock.Expires, err)
	}
	if _, err := m.decode([]byte("t"), rec.encode()[:5]); err == nil {
		t.Fatal("a truncated record decoded from the memo")
	}
	m.forget([][]byte{[]byte("t")})
	if len(m.recs) != 0 {
		t.Fatalf("forget left %d entries", len(m.recs))
	}
}

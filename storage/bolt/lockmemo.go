package bolt

import (
	"bytes"
	"sync"
)

// maxMemo and maxMemoBytes bound the records a lockMemo keeps and their
// bytes (each record's counted twice: it is kept as read and decoded);
// past either the memo starts over, so a table that grew and shrank, or
// records left behind by reads racing a delete, do not keep their memory.
const (
	maxMemo      = 4096
	maxMemoBytes = 4 << 20
)

// lockMemo remembers the decoded form of the lock records last read, keyed
// by token, with the record's bytes: every request reads the whole lock
// table (Locks), and decoding each record anew was most of that read's
// cost. An entry is used only when the stored bytes are equal to those it
// was decoded from, so it is never stale: decodeLock depends on nothing
// else. Its records are shared, so their Owner and OwnerNS must not be
// changed (no caller does). Safe for concurrent use.
type lockMemo struct {
	mu    sync.Mutex
	recs  map[string]memoRecord
	bytes int // added by every insertion, as maxMemoBytes says, never lowered: a reset comes early, not late
}

type memoRecord struct {
	raw []byte // the record's bytes, copied
	rec lockRecord
}

// decode is decodeLock(token, v), from the memo when v is unchanged.
func (m *lockMemo) decode(token []byte, v []byte) (lockRecord, error) {
	m.mu.Lock()
	e, ok := m.recs[string(token)]
	m.mu.Unlock()
	if ok && bytes.Equal(e.raw, v) {
		return e.rec, nil
	}
	rec, err := decodeLock(string(token), v)
	if err != nil {
		return rec, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil || len(m.recs) >= maxMemo || m.bytes >= maxMemoBytes {
		m.recs, m.bytes = make(map[string]memoRecord), 0
	}
	m.recs[rec.lock.Token] = memoRecord{raw: bytes.Clone(v), rec: rec}
	m.bytes += 2 * (len(token) + len(v))
	return rec, nil
}

// forget drops the entries of deleted tokens. It is only for memory: an
// entry left behind is never used for other bytes.
func (m *lockMemo) forget(tokens [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range tokens {
		delete(m.recs, string(t))
	}
}

package bolt

import (
	"context"
	"time"

	"go.etcd.io/bbolt"
)

// LockCount returns the number of live locks: those in the lock table that
// have not expired. Expired locks still waiting for a write to sweep them
// are not counted. It is one read of the table, which is keyed by token and
// small, and takes no part in the group commit, so it is cheap enough for a
// metrics scrape.
func (s *Store) LockCount(ctx context.Context) (int, error) {
	n := 0
	err := s.viewTx(ctx, func(tx *bbolt.Tx) error {
		live, _, err := s.memo.scan(tx.Bucket(bucketLocks), time.Now().UnixNano())
		n = len(live)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

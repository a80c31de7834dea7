package bolt

import "github.com/atomdav/atomdav/storage"

var _ storage.Exclusive = (*Store)(nil)

// Exclusive reports true: Open holds the file's lock until Close, so no
// other process reads or writes the store meanwhile.
func (s *Store) Exclusive() bool { return true }

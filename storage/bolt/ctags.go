package bolt

import (
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/atomdav/atomdav/storage"
)

// Folder tags (ctags) move with every change below a folder: the root's
// and every ancestor's with each entry. Written to the "ctags" bucket with
// each commit, they cost a rewritten B+tree page per commit, as much as
// the properties the commit changes. So the tags moved since the last
// checkpoint are kept in memory (pendingTags) and written to the bucket
// by a checkpoint, every ckptEntries folders or ckptEvery, noting in
// "jmeta" the sync point it covers (keyTagsAt). The journal after that
// point is their log: Open replays it, and Compact keeps it. A reader
// takes a folder's pending tag, else its checkpointed one.
const (
	ckptEntries = 4096
	ckptEvery   = 30 * time.Second
)

var keyTagsAt = []byte("ctags-at") // in bucketJMeta: the sync point the ctags bucket is checkpointed at

// pendingTags are the ctags moved since the last checkpoint, by parent
// folder, so a folder listing finds its members' tags at once.
type pendingTags struct {
	mu       sync.RWMutex                 // guards byParent, n
	byParent map[string]map[string]uint64 // parent → folder → tag
	n        int
	last     time.Time // the last checkpoint; the writer goroutine's
}

// get is p's pending tag.
func (pt *pendingTags) get(p string) (uint64, bool) {
	pt.mu.RLock()
	defer pt.mu.RUnlock()
	t, ok := pt.byParent[parentOf(p)][p]
	return t, ok
}

// children calls fn with the pending tags of dir's direct members.
func (pt *pendingTags) children(dir string, fn func(string, uint64)) {
	pt.mu.RLock()
	defer pt.mu.RUnlock()
	for p, t := range pt.byParent[dir] {
		fn(p, t)
	}
}

// apply forgets the tags at and below each removed path, then sets tags:
// what a commit did, once it is on disk.
func (pt *pendingTags) apply(removed []string, tags map[string]uint64) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.byParent == nil {
		pt.byParent = map[string]map[string]uint64{}
	}
	for _, r := range removed {
		if m := pt.byParent[parentOf(r)]; m != nil {
			if _, ok := m[r]; ok {
				delete(m, r)
				pt.n--
			}
		}
		for parent, m := range pt.byParent {
			if parent == r || storage.IsBelow(parent, r) {
				pt.n -= len(m)
				delete(pt.byParent, parent)
			}
		}
	}
	for p, t := range tags {
		parent := parentOf(p)
		m := pt.byParent[parent]
		if m == nil {
			m = map[string]uint64{}
			pt.byParent[parent] = m
		}
		if _, ok := m[p]; !ok {
			pt.n++
		}
		m[p] = t
	}
}

// under calls fn with each pending tag at or below p (p's own included).
func (pt *pendingTags) under(p string, fn func(string, uint64)) {
	pt.mu.RLock()
	defer pt.mu.RUnlock()
	for parent, m := range pt.byParent {
		for q, t := range m {
			if q == p || storage.IsBelow(q, p) || parent == p {
				fn(q, t)
			}
		}
	}
}

// reset forgets every pending tag: a checkpoint wrote them.
func (pt *pendingTags) reset(now time.Time) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	clear(pt.byParent)
	pt.n, pt.last = 0, now
}

// due reports whether the next commit should checkpoint, given it moves
// extra tags itself.
func (pt *pendingTags) due(extra int) bool {
	pt.mu.RLock()
	defer pt.mu.RUnlock()
	return pt.n+extra >= ckptEntries || time.Since(pt.last) >= ckptEvery && pt.n+extra > 0
}

// parentOf is p's folder ("/" for the root's members and the root).
func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// putTag writes a folder's tag into the ctags bucket.
func putTag(cb *bbolt.Bucket, p string, tag uint64) error {
	return cb.Put([]byte(ownPrefix(p)), binary.BigEndian.AppendUint64(nil, tag))
}

// checkpoint writes every pending tag and the group's into tx, after the
// group's removals, and notes the sync point they cover.
func (s *Store) checkpoint(tx *bbolt.Tx) error {
	cb := tx.Bucket(bucketCtags)
	var err error
	s.tags.mu.RLock()
	for _, m := range s.tags.byParent {
		for p, t := range m {
			if err == nil && !removedIn(p, s.jw.removed) {
				if _, later := s.jw.tags[p]; !later {
					err = putTag(cb, p, t)
				}
			}
		}
	}
	s.tags.mu.RUnlock()
	if err != nil {
		return err
	}
	for p, t := range s.jw.tags {
		if err := putTag(cb, p, t); err != nil {
			return err
		}
	}
	at := tx.Bucket(bucketJournal).Sequence()
	return tx.Bucket(bucketJMeta).Put(keyTagsAt, binary.BigEndian.AppendUint64(nil, at))
}

// removedIn reports whether p is at or below one of removed.
func removedIn(p string, removed []string) bool {
	for _, r := range removed {
		if p == r || storage.IsBelow(p, r) {
			return true
		}
	}
	return false
}

// persistUnder writes the pending tags at and below p (and the group's)
// into tx, so that a move or copy of p's subtree in the ctags bucket
// carries them.
func (s *Store) persistUnder(tx *bbolt.Tx, p string) error {
	cb := tx.Bucket(bucketCtags)
	var err error
	s.tags.under(p, func(q string, t uint64) {
		if err == nil && !removedIn(q, s.jw.removed) {
			if _, later := s.jw.tags[q]; !later {
				err = putTag(cb, q, t)
			}
		}
	})
	for q, t := range s.jw.tags {
		if err == nil && (q == p || storage.IsBelow(q, p)) {
			err = putTag(cb, q, t)
		}
	}
	return err
}

// replayTags rebuilds the pending tags from the journal after the
// checkpoint, at Open.
func (s *Store) replayTags() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		at := u64(tx.Bucket(bucketJMeta).Get(keyTagsAt))
		c := tx.Bucket(bucketJournal).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			group, err := decodeGroup(u64(k), v)
			if err != nil {
				return err
			}
			var removed []string
			tags := map[string]uint64{}
			for _, ch := range group {
				if ch.Seq <= at {
					continue
				}
				tagsOf(ch, &removed, tags)
			}
			s.tags.apply(removed, tags)
		}
		s.tags.last = time.Now()
		return nil
	})
}

// tagsOf adds what entry c does to the folders' tags: a removal forgets
// those at and below its path; an upsert of a folder moves its own; every
// entry moves its ancestors', but for the entries of the members of a
// folder removed before in the group (see journalWriter.record).
func tagsOf(c storage.Change, removed *[]string, tags map[string]uint64) {
	if c.Kind == storage.ChangeRemoved && removedIn(c.Path, *removed) {
		return // a member of a folder the group removed: that removal moved the tags
	}
	if c.Kind == storage.ChangeRemoved {
		*removed = append(*removed, c.Path)
		for p := range tags {
			if p == c.Path || storage.IsBelow(p, c.Path) {
				delete(tags, p)
			}
		}
	}
	if c.Kind == storage.ChangeUpsert && c.Dir {
		tags[c.Path] = c.Seq
	}
	storage.Ancestors(c.Path, func(dir string) { tags[dir] = c.Seq })
}

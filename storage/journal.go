package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ChangeKind says what happened to a path.
type ChangeKind uint8

// The kinds of change the journal records.
const (
	ChangeUpsert  ChangeKind = 1 // created or modified (content, properties or metadata)
	ChangeRemoved ChangeKind = 2 // no longer exists (a MOVE is a removal plus an upsert)
)

// Change is one entry of the change journal, and the index's view of one path.
type Change struct {
	Seq     uint64 // assigned by the store; 0 in RecordChanges' input
	Path    string // clean store path
	Kind    ChangeKind
	Dir     bool
	Size    int64 // files; 0 for folders and removals
	MtimeNs int64
	Inode   uint64 // 0 when unknown
	// Subtree says that everything below Path may be new as well (the
	// destination of a MOVE or COPY of a folder): a reader walks it rather
	// than expect an entry per member.
	Subtree bool
	// UnixNs is when the store recorded the entry, set by the store; the
	// journal's retention is judged on it.
	UnixNs int64
}

// ErrSyncTooOld is wrapped by ChangesSince's error for a sync point the
// journal cannot answer from: older than its compacted horizon, or later
// than its current sync point (not one it gave). RFC 6578 answers it with
// the valid-sync-token precondition (403).
var ErrSyncTooOld = errors.New("storage: sync point outside the journal")

// Journal is kept by stores that can answer "what changed since" (bolt,
// postgres): an append-only list of changes numbered by a sequence that
// increases in commit order as readers see it (a reader never finds, later,
// an entry numbered below a sync point it was given), an index of the last
// known state of every path, and a tag per folder that moves with every
// change at or below it. Safe for concurrent use.
//
// The changes of PatchProps and PatchPropsLive made with a context from
// WithChanges are recorded in the same transaction as the properties, and
// CompleteIntent records the tree change of its intent (a move: a removal of
// Src and a Subtree upsert of Dst; a copy: a Subtree upsert of Dst; a
// delete: a removal of Src) in its own, so a tree change and its journal
// entry are one durable unit.
type Journal interface {
	// RecordChanges appends the changes in ONE durable transaction (group commit
	// as other writes), updates the index (the last known Size/MtimeNs/Inode/Dir of
	// every path; a removal deletes the path and everything below it from the index)
	// and moves the ctag of every ancestor folder of every changed path.
	// It returns the sync point after the changes. A removal is followed
	// by a removal entry for each member the index knew below it (so is
	// the source of a completed move), so that a folder removed and made
	// again is answered with its former members gone. The index is always
	// a tree: the folders above an upsert that it does not hold are indexed
	// with it, as folders of unknown inode (no entry of their own), so a
	// removal of one of them takes every path below it, and a scan that
	// compares the disk with the index folder by folder finds them all.
	// (Atomdav journals a change before making it: a PUT into a folder
	// made on disk that the watcher has not indexed yet, or a scan that
	// listed a folder just before a DELETE of it was journaled.)
	RecordChanges(ctx context.Context, changes []Change) (uint64, error)
	// IndexChildren calls fn, in name order, for each direct child of dir the
	// index knows (Kind ChangeUpsert), streaming (no whole-folder map needed).
	IndexChildren(ctx context.Context, dir string, fn func(Change) error) error
	// IndexEntry is the index's view of the path p (Kind ChangeUpsert); ok
	// is false when the index does not know p. A watcher checks the one
	// path an event names with it, rather than the whole folder.
	IndexEntry(ctx context.Context, p string) (c Change, ok bool, err error)
	// ChangesSince calls fn for every entry after the sync point since, in
	// sequence order, up to the sync point it returns (the last entry it
	// saw, or since when none). A since below the journal's horizon (its
	// entries were compacted) or above its current sync point fails with
	// an error wrapping ErrSyncTooOld. An error from fn stops the read and
	// is returned.
	ChangesSince(ctx context.Context, since uint64, fn func(Change) error) (uint64, error)
	// SyncPoint is the sequence number of the last entry committed (0 for
	// an empty journal).
	SyncPoint(ctx context.Context) (uint64, error)
	// FolderTag is the ctag of the folder dir (0 when the journal has seen
	// no change at or below it).
	FolderTag(ctx context.Context, dir string) (uint64, error)
	// FolderTags calls fn with the ctag of dir and of each of its direct
	// children that has one (the sequence number of the last change at or
	// below it; absent when the journal has seen none), in one read.
	FolderTags(ctx context.Context, dir string, fn func(path string, tag uint64)) error
	// Compact drops the entries recorded before olderThan and those beyond
	// the newest keep (0: no count bound), and moves the horizon past them.
	// It returns how many entries it dropped.
	Compact(ctx context.Context, olderThan time.Time, keep uint64) (int, error)
	// JournalID names this journal (made once, at random, when the store
	// was created), so that a sync point of another store is told apart.
	JournalID(ctx context.Context) (string, error)
}

type changesKey struct{}

// WithChanges returns ctx carrying changes that the store records in the
// same transaction as the next PatchProps or PatchPropsLive made with it
// (stores that keep no journal ignore them). Only those two methods read
// them; a request's other store calls made with the same context do not.
func WithChanges(ctx context.Context, changes ...Change) context.Context {
	return context.WithValue(ctx, changesKey{}, changes)
}

// ChangesOf returns the changes WithChanges put in ctx.
func ChangesOf(ctx context.Context) []Change {
	c, _ := ctx.Value(changesKey{}).([]Change)
	return c
}

// CheckChanges validates changes for RecordChanges: canonical paths and a
// known kind.
func CheckChanges(changes []Change) error {
	for _, c := range changes {
		if err := CheckPaths(c.Path); err != nil {
			return err
		}
		if c.Kind != ChangeUpsert && c.Kind != ChangeRemoved {
			return fmt.Errorf("storage: change of %q: unknown kind %d", c.Path, c.Kind)
		}
	}
	return nil
}

// IntentChanges are the journal entries of a completed intent: what the
// tree change it stands for did. dir says whether Src is a folder
// (stores read it from their index).
func IntentChanges(in Intent, dir bool) []Change {
	switch in.Op {
	case OpMove:
		return []Change{
			{Path: in.Src, Kind: ChangeRemoved, Dir: dir},
			{Path: in.Dst, Kind: ChangeUpsert, Dir: dir, Subtree: dir},
		}
	case OpCopy:
		return []Change{{Path: in.Dst, Kind: ChangeUpsert, Dir: dir, Subtree: dir && !in.Depth0}}
	case OpDelete:
		return []Change{{Path: in.Src, Kind: ChangeRemoved, Dir: dir}}
	}
	return nil
}

// EncodeChange lays c out for a store that keeps entries as bytes
// (storage/bolt): flags, then varints, then the path. Seq is the key and
// is not encoded.
func EncodeChange(c Change) []byte {
	b := make([]byte, 0, 32+len(c.Path))
	flags := byte(c.Kind)
	if c.Dir {
		flags |= 0x10
	}
	if c.Subtree {
		flags |= 0x20
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, c.Size)
	b = binary.AppendVarint(b, c.MtimeNs)
	b = binary.AppendUvarint(b, c.Inode)
	b = binary.AppendVarint(b, c.UnixNs)
	return append(b, c.Path...)
}

// DecodeChange reverses EncodeChange.
func DecodeChange(seq uint64, v []byte) (Change, error) {
	bad := fmt.Errorf("storage: malformed journal entry %d", seq)
	if len(v) < 1 {
		return Change{}, bad
	}
	c := Change{Seq: seq, Kind: ChangeKind(v[0] & 0x0f), Dir: v[0]&0x10 != 0, Subtree: v[0]&0x20 != 0}
	v = v[1:]
	var n int
	for _, dst := range []*int64{&c.Size, &c.MtimeNs} {
		if *dst, n = binary.Varint(v); n <= 0 {
			return Change{}, bad
		}
		v = v[n:]
	}
	if c.Inode, n = binary.Uvarint(v); n <= 0 {
		return Change{}, bad
	}
	v = v[n:]
	if c.UnixNs, n = binary.Varint(v); n <= 0 {
		return Change{}, bad
	}
	c.Path = string(v[n:])
	if err := CheckChanges([]Change{c}); err != nil {
		return Change{}, fmt.Errorf("%w: %w", bad, err)
	}
	return c, nil
}

// Ancestors calls fn for every folder above p, the root included, nearest
// first.
func Ancestors(p string, fn func(dir string)) {
	for p != "/" {
		i := len(p) - 1
		for i > 0 && p[i] != '/' {
			i--
		}
		p = p[:max(i, 1)]
		fn(p)
	}
}

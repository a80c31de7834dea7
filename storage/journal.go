package storage

import "context"

// ChangeKind says what happened to a path.
type ChangeKind uint8

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
}

// Journal is kept by stores that can answer "what changed since" (bolt, postgres).
type Journal interface {
	// RecordChanges appends the changes in ONE durable transaction (group commit
	// as other writes), updates the index (the last known Size/MtimeNs/Inode/Dir of
	// every path; a removal deletes the path and everything below it from the index)
	// and moves the ctag of every ancestor folder of every changed path.
	// It returns the sync point after the changes.
	RecordChanges(ctx context.Context, changes []Change) (uint64, error)
	// IndexChildren calls fn, in name order, for each direct child of dir the
	// index knows (Kind ChangeUpsert), streaming (no whole-folder map needed).
	IndexChildren(ctx context.Context, dir string, fn func(Change) error) error
	// ChangesSince, FolderTag, SyncPoint, Compact … : the journal helper's design.
}

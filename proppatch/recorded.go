package proppatch

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
)

// LiveStore is a Store that can record the changes of settable live
// properties in the transaction that commits the dead ones, so that a
// request changing both is one durable unit (RFC 4918 §9.2: all or
// nothing, also across a crash). storage.Store (in this module) satisfies
// it. The records are opaque bytes a RecordedLive property makes.
type LiveStore interface {
	Store

	// PatchPropsLive is PatchProps that also stores live (property name →
	// record) for path, replacing earlier records of those names, in the
	// same transaction: all or none, durable when it returns nil.
	PatchPropsLive(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name, live map[xml.Name][]byte) error

	// ClearLive forgets the records of path that still hold the bytes
	// given. It need not be durable: the server's recovery judges a record
	// that survives a crash again (see RecordedLive).
	ClearLive(ctx context.Context, path string, live map[xml.Name][]byte) error
}

// RecordedLive is a LiveProperty whose change can be described before it
// is made, so that the Engine commits the description with the dead
// properties and makes the change after. Apply then runs in three steps:
// Prepare (validate against the resource, change nothing), one
// LiveStore.PatchPropsLive with every record, then ApplyRecord for each. A
// crash after the commit leaves the records in the store: the server must
// re-apply them at start-up, before it serves, judging from the record
// whether the resource still is the one it was prepared on (a later write
// may have replaced it: then the record is dropped).
type RecordedLive interface {
	LiveProperty

	// Prepare validates setting the property to value (or removing it, for
	// a LiveRemover, when remove is true) on the resource at path and
	// returns the record of the change. It changes nothing. Errors are
	// reported as Apply's are.
	Prepare(ctx context.Context, path string, value []byte, remove bool) (record []byte, err error)

	// ApplyRecord makes the change record describes, durably (on disk
	// when it returns nil). Making it twice is harmless.
	ApplyRecord(ctx context.Context, path string, record []byte) error
}

// recordable reports whether every live property of p is a RecordedLive.
func (p plan) recordable() bool {
	for _, s := range p.live {
		if _, ok := s.prop.(RecordedLive); !ok {
			return false
		}
	}
	return true
}

// commitRecorded prepares every live change, commits their records with
// the dead properties in one PatchPropsLive, applies them, and clears the
// records. A Prepare that fails fails its instruction and nothing is
// changed; once the commit has returned the request is committed, and a
// change that fails to apply stays recorded for recovery (ErrLivePending).
func commitRecorded(ctx context.Context, ls LiveStore, path string, p plan) (*failure, error) {
	records := make(map[xml.Name][]byte, len(p.live))
	for _, s := range p.live {
		rec, err := s.prop.(RecordedLive).Prepare(ctx, path, s.in.Value, s.in.Remove)
		if err != nil {
			return applyFailure(s, err), nil
		}
		records[s.in.Name] = rec
	}
	if err := ls.PatchPropsLive(ctx, path, p.set, p.remove, records); err != nil {
		return nil, fmt.Errorf("proppatch: committing the properties of %s: %w", path, err)
	}
	// Committed: finish even if the client has gone.
	ctx = context.WithoutCancel(ctx)
	for _, s := range p.live {
		if err := s.prop.(RecordedLive).ApplyRecord(ctx, path, records[s.in.Name]); err != nil {
			return nil, errors.Join(fmt.Errorf("%w: %s of %s", ErrLivePending, clark(s.in.Name), path), err)
		}
	}
	_ = ls.ClearLive(ctx, path, records) // a record left behind is judged stale at recovery
	return nil, nil
}

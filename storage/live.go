package storage

import (
	"context"
	"encoding/xml"
)

// LiveRecord is the recorded change of one settable live property of one
// resource (DESIGN §4): a file's modification time or execute bits, which
// live in the file system, not in the store. Record is opaque to the store:
// the file system layer (storage/localfs) writes it and reads it back to
// re-apply the change after a crash.
type LiveRecord struct {
	Path   string
	Name   xml.Name
	Record []byte
}

// LiveLog is the part of a store that makes a PROPPATCH touching both
// settable live properties and dead ones one durable unit. The live change
// is recorded in the same transaction as the dead properties; the file
// system change follows; a crash between the two leaves the record, and
// start-up recovery re-applies it. A record may outlive its change: the
// file system layer stores in the record what it needs to tell a record
// already applied, or overtaken by a later change of the file, from one
// that still has to be applied.
type LiveLog interface {
	// PatchPropsLive is PatchProps that also records live (name → record)
	// for path, replacing the records of those names, in the same durable
	// transaction. The names are validated as property names are.
	PatchPropsLive(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name, live map[xml.Name][]byte) error

	// ClearLive forgets the records of path whose names are in live and
	// whose bytes still equal the ones given, leaving a record a later
	// PatchPropsLive replaced. It need not be durable before it returns
	// (a record that survives a crash is judged again at recovery), so a
	// store may fold it into a later commit; its effect is visible once a
	// write of the store begun after it has returned.
	ClearLive(ctx context.Context, path string, live map[xml.Name][]byte) error

	// LiveRecords lists every record, by path then name.
	LiveRecords(ctx context.Context) ([]LiveRecord, error)
}

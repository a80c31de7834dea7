package proppatch

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
)

// Default limits, used where a Limits field is zero.
const (
	DefaultMaxValueBytes = 64 << 10 // bytes of one property value
	DefaultMaxProps      = 1000     // dead properties of one resource
)

// Store is the property store the engine commits to. storage.Store (in this
// module) satisfies it.
//
// Values are property elements as standalone XML (see Instruction.Value).
// A Store must be safe for concurrent use.
type Store interface {
	// Props returns the dead properties of the resource at path; an empty
	// map when it has none.
	Props(ctx context.Context, path string) (map[xml.Name][]byte, error)

	// PatchProps sets then removes, all or none, durable when it returns nil.
	PatchProps(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name) error
}

// LiveProperty is a settable live property: one the server computes from
// the resource rather than stores, but lets a client change, such as
// Windows' {urn:schemas-microsoft-com:}Win32LastModifiedTime mapped to the
// file's modification time (RFC 4918 §4.2, §15). One that is also a
// RecordedLive commits with the dead properties as one durable unit when
// the Store is a LiveStore; otherwise Apply and its undo are used.
//
// value is the property element as standalone XML, as in
// Instruction.Value. An implementation must be safe for concurrent use.
type LiveProperty interface {
	// Check validates value before anything is applied. An error makes the
	// instruction fail with 409 Conflict (RFC 4918 §9.2.1), or with the
	// Status of an *Error it returns.
	Check(value []byte) error

	// Apply sets the property on the resource at path and returns how to
	// put the old value back; undo may be nil when there is nothing to
	// undo. An error makes the instruction fail with 500 Internal Server
	// Error, or with the Status of an *Error it returns, and nothing else
	// is applied.
	Apply(ctx context.Context, path string, value []byte) (undo func() error, err error)
}

// LiveRemover is a LiveProperty that can also be removed. Removing a live
// property that does not implement it fails with 409 Conflict.
type LiveRemover interface {
	LiveProperty

	// Remove removes the property from the resource at path, returning an
	// undo as Apply does.
	Remove(ctx context.Context, path string) (undo func() error, err error)
}

// Limits bounds what a PROPPATCH may store (DESIGN §7). A zero field takes
// its default; a negative one disables the limit.
type Limits struct {
	// MaxValueBytes is the largest Instruction.Value accepted, in bytes
	// as stored (the namespace declarations copied from its ancestors
	// count); a larger one fails with 507 Insufficient Storage. Default
	// DefaultMaxValueBytes.
	MaxValueBytes int

	// MaxProps is the most dead properties a resource may hold after an
	// update; the set that pushes it over fails with 507. An update that
	// does not add to the count always passes, so a resource over a
	// lowered limit can still be edited. Protected names stored beside
	// them (records the server keeps) do not count. Default
	// DefaultMaxProps.
	MaxProps int
}

// limit returns v, or def when v is zero.
func limit(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Engine applies property updates to one store: atomically, in document
// order, durably (RFC 4918 §9.2). Store must be set; the zero value of the
// other fields is a valid configuration (default limits, no settable live
// property, DefaultProtected).
//
// An Engine is safe for concurrent use once configured.
type Engine struct {
	Store  Store
	Limits Limits

	// Live maps the names of settable live properties to their
	// implementation. A name in Live is never protected and never reaches
	// the Store.
	Live map[xml.Name]LiveProperty

	// Protected reports whether a property can be neither set nor removed
	// (403 with DAV:cannot-modify-protected-property). Nil means
	// DefaultProtected.
	Protected func(xml.Name) bool
}

// DefaultProtected reports whether name is a protected property of
// RFC 4918 §15: every property in the DAV: namespace (getetag,
// getlastmodified, getcontentlength, getcontenttype, resourcetype,
// lockdiscovery, supportedlock, creationdate, the RFC 4331 quota
// properties, and any other) except displayname and getcontentlanguage,
// which clients may set and which are then stored like dead properties.
func DefaultProtected(name xml.Name) bool {
	if name.Space != nsDAV {
		return false
	}
	return name.Local != "displayname" && name.Local != "getcontentlanguage"
}

// failure is the first failing instruction of an update.
type failure struct {
	index        int
	status       int
	precondition string // local name of a DAV: precondition element, or ""
	description  string
}

// Apply runs the update on the resource at path: check every instruction in
// document order, fold them, then commit the settable live properties and
// one Store.PatchProps (RFC 4918 §9.2). The caller has already checked that
// the resource exists, locks and permissions.
//
// At the first failing instruction nothing is changed; the Result gives it
// its own status and 424 Failed Dependency to every other one. Apply returns
// an error only when the store fails, when undoing a live property fails
// (ErrUndo), or when a recorded live change committed but could not be made
// (ErrLivePending: recovery makes it); nothing is reported as committed
// then, and the caller answers with a plain 500 or 507. See the package
// documentation's Durability section for how live properties commit.
func (e *Engine) Apply(ctx context.Context, path string, u *Update) (*Result, error) {
	var ins []Instruction
	if u != nil {
		ins = u.Instructions
	}
	f := e.check(ins)
	if f != nil {
		return newResult(ins, f), nil
	}
	p := fold(ins, e.Live)
	var err error
	if gs, ok := e.Store.(GuardedStore); ok && len(p.live) == 0 {
		f, err = e.commitGuarded(ctx, gs, path, p, ins)
	} else if f, err = e.checkCount(ctx, path, ins); err == nil && f == nil {
		f, err = e.commit(ctx, path, p)
	}
	if err != nil {
		return nil, err
	}
	return newResult(ins, f), nil
}

// check validates each instruction on its own, in document order, and
// returns the first failure.
func (e *Engine) check(ins []Instruction) *failure {
	protected := e.Protected
	if protected == nil {
		protected = DefaultProtected
	}
	for i, in := range ins {
		var f *failure
		if lp, ok := e.Live[in.Name]; ok {
			f = e.checkLive(lp, in)
		} else if protected(in.Name) {
			f = &failure{
				status:       http.StatusForbidden,
				precondition: "cannot-modify-protected-property",
				description:  clark(in.Name) + " is protected: the server maintains it and clients cannot set or remove it.",
			}
		} else {
			f = e.checkSize(in)
		}
		if f != nil {
			f.index = i
			return f
		}
	}
	return nil
}

// checkSize refuses a value over Limits.MaxValueBytes.
func (e *Engine) checkSize(in Instruction) *failure {
	maxBytes := limit(e.Limits.MaxValueBytes, DefaultMaxValueBytes)
	if in.Remove || maxBytes < 0 || len(in.Value) <= maxBytes {
		return nil
	}
	return &failure{
		status:      http.StatusInsufficientStorage,
		description: fmt.Sprintf("The value of %s is %d bytes; this server stores at most %d.", clark(in.Name), len(in.Value), maxBytes),
	}
}

// checkLive validates an instruction for a settable live property: the
// size limit first, so that LiveProperty.Check never sees an oversized
// value, then Check.
func (e *Engine) checkLive(lp LiveProperty, in Instruction) *failure {
	if in.Remove {
		if _, ok := lp.(LiveRemover); ok {
			return nil
		}
		return &failure{
			status:      http.StatusConflict,
			description: clark(in.Name) + " is a live property that cannot be removed.",
		}
	}
	if f := e.checkSize(in); f != nil {
		return f
	}
	err := lp.Check(in.Value)
	if err == nil {
		return nil
	}
	f := &failure{
		status:      http.StatusConflict,
		description: fmt.Sprintf("The value is not acceptable for %s: %v", clark(in.Name), err),
	}
	if pe := (*Error)(nil); errors.As(err, &pe) && validStatus(pe.Status) {
		f.status = pe.Status
	}
	return f
}

// checkCount refuses an update that would leave the resource with more dead
// properties than Limits.MaxProps, blaming the first set that goes over.
// It reads the stored properties only when the update sets a dead one.
// A stored property no client can set or remove (Protected) is the
// server's own record, kept beside the client's, and does not count.
func (e *Engine) checkCount(ctx context.Context, path string, ins []Instruction) (*failure, error) {
	maxProps := limit(e.Limits.MaxProps, DefaultMaxProps)
	if maxProps < 0 || !e.setsDead(ins) {
		return nil, nil
	}
	stored, err := e.Store.Props(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("proppatch: reading the properties of %s: %w", path, err)
	}
	return e.countFailure(maps.Keys(stored), ins), nil
}

// countFailure is checkCount's verdict given the names of the stored
// properties: the first set that takes the resource over Limits.MaxProps,
// or nil.
func (e *Engine) countFailure(stored iter.Seq[xml.Name], ins []Instruction) *failure {
	maxProps := limit(e.Limits.MaxProps, DefaultMaxProps)
	protected := e.Protected
	if protected == nil {
		protected = DefaultProtected
	}
	present := make(map[xml.Name]bool)
	for name := range stored {
		if !protected(name) {
			present[name] = true
		}
	}
	threshold := max(maxProps, len(present)) // never refuse what does not grow
	over := -1
	for i, in := range ins {
		if _, live := e.Live[in.Name]; live {
			continue
		}
		if in.Remove {
			delete(present, in.Name)
			continue
		}
		present[in.Name] = true
		if over < 0 && len(present) > threshold {
			over = i
		}
	}
	if len(present) <= threshold {
		return nil
	}
	return &failure{
		index:  over,
		status: http.StatusInsufficientStorage,
		description: fmt.Sprintf("Setting %s would leave the resource with %d properties; this server keeps at most %d.",
			clark(ins[over].Name), len(present), maxProps),
	}
}

// setsDead reports whether ins set any property bound for the Store.
func (e *Engine) setsDead(ins []Instruction) bool {
	for _, in := range ins {
		if _, live := e.Live[in.Name]; !live && !in.Remove {
			return true
		}
	}
	return false
}

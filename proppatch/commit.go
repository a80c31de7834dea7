package proppatch

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// plan is an update folded in document order (RFC 4918 §9.2): for each
// name only its last instruction is left, so set-then-remove ends removed
// and remove-then-set ends set.
type plan struct {
	live   []liveStep          // settable live properties, in document order
	set    map[xml.Name][]byte // dead properties to set
	remove []xml.Name          // dead properties to remove
}

// liveStep is the final instruction for one settable live property.
type liveStep struct {
	index int // of the instruction in the update
	in    Instruction
	prop  LiveProperty
}

// fold reduces ins to their net effect.
func fold(ins []Instruction, live map[xml.Name]LiveProperty) plan {
	last := make(map[xml.Name]int, len(ins))
	for i, in := range ins {
		last[in.Name] = i
	}
	var p plan
	for i, in := range ins {
		if last[in.Name] != i {
			continue
		}
		lp, isLive := live[in.Name]
		switch {
		case isLive:
			p.live = append(p.live, liveStep{index: i, in: in, prop: lp})
		case in.Remove:
			p.remove = append(p.remove, in.Name)
		default:
			if p.set == nil {
				p.set = make(map[xml.Name][]byte)
			}
			p.set[in.Name] = in.Value
		}
	}
	return p
}

// commit applies the plan: durably (commitRecorded) when the store and
// every live property of the plan can record their changes, otherwise
// with in-memory undos (commitUndoable).
func (e *Engine) commit(ctx context.Context, path string, p plan) (*failure, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("proppatch: before committing %s: %w", path, err)
	}
	if ls, ok := e.Store.(LiveStore); ok && len(p.live) > 0 && p.recordable() {
		return commitRecorded(ctx, ls, path, p)
	}
	return e.commitUndoable(ctx, path, p)
}

// commitUndoable applies the settable live properties, keeping their
// undos, then the dead ones in one Store.PatchProps. If a live property
// fails the ones before it are undone and the store is not touched; if the
// store fails every live property is undone. A crash between the two
// steps leaves the live change without the dead ones: the price of a Store
// that is not a LiveStore.
func (e *Engine) commitUndoable(ctx context.Context, path string, p plan) (*failure, error) {
	var undos []func() error
	for _, s := range p.live {
		undo, err := s.apply(ctx, path)
		if err != nil {
			if uerr := rollback(undos); uerr != nil {
				return nil, errors.Join(fmt.Errorf("proppatch: applying %s to %s: %w", clark(s.in.Name), path, err), uerr)
			}
			return applyFailure(s, err), nil
		}
		if undo != nil {
			undos = append(undos, undo)
		}
	}
	if len(p.set) == 0 && len(p.remove) == 0 {
		return nil, nil
	}
	if err := e.Store.PatchProps(ctx, path, p.set, p.remove); err != nil {
		return nil, errors.Join(fmt.Errorf("proppatch: committing the properties of %s: %w", path, err), rollback(undos))
	}
	return nil, nil
}

// GuardedStore is a Store that can check a resource's stored properties in
// the transaction that patches them: PatchPropsIf patches only if guard
// returns nil, and returns guard's error (wrapped) otherwise, having
// changed nothing. guard is given how many properties the resource holds
// and a function returning their names, which it may call only while it
// runs (the store may read them then). With one, Apply checks
// Limits.MaxProps inside the commit instead of reading the properties
// before it, which saves a read per PROPPATCH and leaves no gap between
// the count and the write.
type GuardedStore interface {
	PatchPropsIf(ctx context.Context, path string, set map[xml.Name][]byte, remove []xml.Name,
		guard func(n int, names func() []xml.Name) error) error
}

// countRefusal carries a count failure out of a GuardedStore's guard.
type countRefusal struct{ f *failure }

func (c *countRefusal) Error() string { return "proppatch: " + c.f.description }

// commitGuarded commits a plan without live properties through gs,
// checking the count (as checkCount does) in the same transaction.
func (e *Engine) commitGuarded(ctx context.Context, gs GuardedStore, path string, p plan, ins []Instruction) (*failure, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("proppatch: before committing %s: %w", path, err)
	}
	if len(p.set) == 0 && len(p.remove) == 0 {
		return nil, nil
	}
	if limit(e.Limits.MaxProps, DefaultMaxProps) < 0 || !e.setsDead(ins) {
		if err := e.Store.PatchProps(ctx, path, p.set, p.remove); err != nil {
			return nil, fmt.Errorf("proppatch: committing the properties of %s: %w", path, err)
		}
		return nil, nil
	}
	maxProps, sets := limit(e.Limits.MaxProps, DefaultMaxProps), len(p.set)
	err := gs.PatchPropsIf(ctx, path, p.set, p.remove, func(n int, names func() []xml.Name) error {
		// The resource ends with at most n + sets dead properties: within
		// the limit, no name needs reading.
		if n+sets <= maxProps {
			return nil
		}
		if f := e.countFailure(slices.Values(names()), ins); f != nil {
			return &countRefusal{f}
		}
		return nil
	})
	if cr := (*countRefusal)(nil); errors.As(err, &cr) {
		return cr.f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("proppatch: committing the properties of %s: %w", path, err)
	}
	return nil, nil
}

// apply sets or removes the live property.
func (s liveStep) apply(ctx context.Context, path string) (func() error, error) {
	if s.in.Remove {
		return s.prop.(LiveRemover).Remove(ctx, path) // checkLive made sure
	}
	return s.prop.Apply(ctx, path, s.in.Value)
}

// applyFailure reports a live property that failed to apply: with the
// status and message of an *Error, otherwise 500 and no detail, since an
// arbitrary error may describe the server's internals.
func applyFailure(s liveStep, err error) *failure {
	f := &failure{
		index:       s.index,
		status:      http.StatusInternalServerError,
		description: "The server could not apply " + clark(s.in.Name) + ".",
	}
	if pe := (*Error)(nil); errors.As(err, &pe) && validStatus(pe.Status) {
		f.status = pe.Status
		f.description = fmt.Sprintf("The server could not apply %s: %v", clark(s.in.Name), pe)
	}
	return f
}

// rollback runs undos in reverse order and returns their errors, wrapped in
// ErrUndo, or nil.
func rollback(undos []func() error) error {
	var errs []error
	for _, undo := range slices.Backward(undos) {
		if err := undo(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUndo, errors.Join(errs...))
}

// validStatus reports whether a status chosen by a LiveProperty can report
// a failed instruction.
func validStatus(status int) bool {
	return status >= 400 && status < 600 && status != http.StatusFailedDependency
}

package dav

import (
	"context"
	"errors"
	"slices"

	"github.com/atomdav/atomdav/storage"
)

// RecoverShared finishes the tree changes that a crashed instance sharing
// this store left behind (DESIGN §5: a surviving instance completes or
// undoes them). Each intent is recovered under the path locks of its
// source and destination, and only if it is still pending once they are
// held: an intent of a request in flight here is finished by that request
// first. It returns what it recovered.
func (h *Handler) RecoverShared(ctx context.Context) ([]storage.Intent, error) {
	intents, err := h.fs.Store().Intents(ctx)
	if err != nil {
		return nil, err
	}
	var done []storage.Intent
	for _, in := range intents {
		ok, err := h.recoverLocked(ctx, in)
		if err != nil {
			return done, err
		}
		if ok {
			done = append(done, in)
		}
	}
	return done, nil
}

func (h *Handler) recoverLocked(ctx context.Context, in storage.Intent) (bool, error) {
	paths := []string{in.Src}
	if in.Dst != "" {
		paths = append(paths, in.Dst)
	}
	unlock, err := h.paths.LockContext(ctx, paths...)
	if err != nil {
		return false, err
	}
	defer unlock()
	pending, err := h.fs.Store().Intents(ctx)
	if err != nil {
		return false, err
	}
	if !slices.ContainsFunc(pending, func(p storage.Intent) bool { return p.ID == in.ID }) {
		return false, nil // its request finished it meanwhile
	}
	if _, err := h.fs.RecoverIntent(ctx, in); err != nil && !errors.Is(err, storage.ErrNoIntent) {
		return false, err
	}
	return true, nil
}

package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/internal/dav"
	"github.com/atomdav/atomdav/storage"
	"github.com/atomdav/atomdav/storage/bolt"
)

// ErrNoJournal is Changes' error for a store that keeps no change journal.
var ErrNoJournal = errors.New("changes: the store keeps no change journal")

// Changes reads the change journal of the store cfg names (as Check opens
// it: the embedded one only while no server holds it) and calls fn for
// every entry after the sync-token since, oldest first. An empty since
// reads nothing: it asks for the token to start from. It returns the token
// to pass next time.
func Changes(ctx context.Context, cfg config.Config, since string, fn func(storage.Change) error) (string, error) {
	store, err := openStore(cfg, bolt.Options{})
	if errors.Is(err, bolt.ErrInUse) {
		return "", fmt.Errorf("%w (stop the server, or use a PostgreSQL store, to read its journal)", err)
	}
	if err != nil {
		return "", err
	}
	defer store.Close()
	j, ok := store.(storage.Journal)
	if !ok {
		return "", ErrNoJournal
	}
	id, err := j.JournalID(ctx)
	if err != nil {
		return "", err
	}
	if since == "" {
		sp, err := j.SyncPoint(ctx)
		return dav.FormatSyncToken(id, sp), err
	}
	seq, err := dav.ParseSyncToken(since, id)
	if err != nil {
		return "", fmt.Errorf("--since: %w", err)
	}
	end, err := j.ChangesSince(ctx, seq, fn)
	if errors.Is(err, storage.ErrSyncTooOld) {
		return "", fmt.Errorf("--since: the journal no longer holds that point (compacted) or never did: %w", err)
	}
	return dav.FormatSyncToken(id, end), err
}

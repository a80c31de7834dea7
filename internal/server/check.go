package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/storage/bolt"
	"github.com/atomdav/atomdav/storage/localfs"
)

// Check compares the property store of cfg with its tree (see
// localfs.FS.Check) without serving; with repair it then fixes what it
// found and checks again. With the embedded store the server must not be
// running: the store is opened exclusively. A PostgreSQL store is refused
// for repair while any instance serves from it (ErrPeersRunning).
func Check(ctx context.Context, cfg config.Config, repair bool, progress func(checked int)) (*localfs.Report, error) {
	store, err := openStore(cfg, bolt.Options{})
	if errors.Is(err, bolt.ErrInUse) {
		return nil, fmt.Errorf("%w (stop the server before checking)", err)
	}
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if err := checkNoPeers(ctx, store, repair); err != nil {
		return nil, err
	}
	fsys, err := localfs.New(cfg.Root, store, localfs.Options{Hidden: cfg.HiddenName()})
	if err != nil {
		return nil, err
	}
	report, err := fsys.Check(ctx, progress)
	if err != nil || !repair || report.Consistent() {
		return report, err
	}
	if err := fsys.Repair(ctx, report); err != nil {
		return report, err
	}
	return fsys.Check(ctx, nil)
}

// ErrPeersRunning is Check's error for a repair of a shared store that
// other instances are serving from: a MOVE or COPY under way there looks
// like an inconsistency, and repairing it would lose properties.
var ErrPeersRunning = errors.New("check: other instances are serving from this store")

// checkNoPeers refuses a repair of a shared store while any other instance
// is alive on it.
func checkNoPeers(ctx context.Context, store serverStore, repair bool) error {
	if !repair {
		return nil
	}
	n, err := peersOf(ctx, store)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w (%d): stop them all before --repair", ErrPeersRunning, n)
	}
	return nil
}

// peersOf counts the other instances alive on a shared store; a store one
// process owns alone has none.
func peersOf(ctx context.Context, store serverStore) (int, error) {
	shared, ok := store.(interface {
		Peers(ctx context.Context) (int, error)
	})
	if !ok {
		return 0, nil
	}
	return shared.Peers(ctx)
}

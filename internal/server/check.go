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
// running: the store is opened exclusively.
func Check(ctx context.Context, cfg config.Config, repair bool, progress func(checked int)) (*localfs.Report, error) {
	store, err := openStore(cfg, bolt.Options{})
	if errors.Is(err, bolt.ErrInUse) {
		return nil, fmt.Errorf("%w (stop the server before checking)", err)
	}
	if err != nil {
		return nil, err
	}
	defer store.Close()
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

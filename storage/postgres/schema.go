package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema's versions, in order: migrations[i] takes the
// schema from version i to i+1. Never edit one that has shipped; append.
var migrations = []string{
	// 1: properties, intents with their owners' leases, locks.
	`CREATE TABLE atomdav_props (
		path  bytea   NOT NULL,
		depth integer NOT NULL,
		ns    bytea   NOT NULL,
		local bytea   NOT NULL,
		value bytea   NOT NULL,
		PRIMARY KEY (path, ns, local)
	);
	CREATE INDEX atomdav_props_children ON atomdav_props (depth, path);

	CREATE TABLE atomdav_instances (
		id      text        PRIMARY KEY,
		expires timestamptz NOT NULL
	);

	CREATE TABLE atomdav_intents (
		id     bigserial PRIMARY KEY,
		op     text      NOT NULL,
		src    bytea     NOT NULL,
		dst    bytea     NOT NULL,
		depth0 boolean   NOT NULL,
		owner  text      NOT NULL
	);

	CREATE TABLE atomdav_locks (
		token      bytea       PRIMARY KEY,
		seq        bigserial   NOT NULL,
		root       bytea       NOT NULL,
		depth0     boolean     NOT NULL,
		shared     boolean     NOT NULL,
		owner      bytea       NOT NULL,
		owner_ns   bytea       NOT NULL,
		timeout_ns bigint      NOT NULL,
		expires    timestamptz NOT NULL
	);
	CREATE INDEX atomdav_locks_root ON atomdav_locks (root);`,

	// 2: an instance also holds a session advisory lock (lock_key) while its
	// process lives, so a crash frees its intents at once; renewed says
	// when it last proved it held that lock.
	`ALTER TABLE atomdav_instances
		ADD COLUMN lock_key bigint      NOT NULL DEFAULT 0,
		ADD COLUMN renewed  timestamptz NOT NULL DEFAULT '-infinity';`,

	// 3: a lock belongs to the principal that took it (RFC 4918 §6.4);
	// locks taken before belong to anonymous (''). The index serves the
	// per-principal lock limit's count.
	`ALTER TABLE atomdav_locks ADD COLUMN IF NOT EXISTS principal bytea NOT NULL DEFAULT ''::bytea;
	CREATE INDEX IF NOT EXISTS atomdav_locks_principal ON atomdav_locks (principal);`,

	// 4: the recorded changes of settable live properties (a file's mtime,
	// its execute bits), committed with the dead properties of their
	// PROPPATCH and re-applied after a crash (DESIGN §4).
	`CREATE TABLE atomdav_live (
		path   bytea NOT NULL,
		ns     bytea NOT NULL,
		local  bytea NOT NULL,
		record bytea NOT NULL,
		PRIMARY KEY (path, ns, local)
	);`,

	// 5: the change journal, its index of paths and the folders' ctags
	// (journal.go).
	journalMigration,
}

// migrate brings the schema to the latest version in one transaction,
// under an advisory lock so that instances starting at once queue up and
// each migration runs once.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('atomdav.migrate.' || current_schema()))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS atomdav_schema (version integer NOT NULL)`); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM atomdav_schema`).Scan(&v); err != nil {
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this atomdav knows (%d): upgrade atomdav", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		if v < len(migrations) {
			if _, err := tx.Exec(ctx, `DELETE FROM atomdav_schema; INSERT INTO atomdav_schema VALUES (`+fmt.Sprint(len(migrations))+`)`); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("migrate", err)
}

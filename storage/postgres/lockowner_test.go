package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestMigrateLockPrincipal checks the upgrade of a database made before
// locks had principals (schema version 2): Open adds the column, and a
// lock already held survives it as the anonymous principal's ("").
func TestMigrateLockPrincipal(t *testing.T) {
	sc := newSchemas(t)
	dir := t.TempDir()
	u := sc.url(t, dir)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`CREATE TABLE atomdav_schema (version integer NOT NULL)`,
		migrations[0], migrations[1],
		`INSERT INTO atomdav_schema VALUES (2)`,
		`INSERT INTO atomdav_locks (token, root, depth0, shared, owner, owner_ns, timeout_ns, expires)
			VALUES ('urn:t:old', '/a', false, true, '', '', 3600000000000, clock_timestamp() + interval '1 hour')`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			conn.Close(ctx)
			t.Fatalf("%s: %v", sql, err)
		}
	}
	conn.Close(ctx)

	s := sc.open(t, dir)
	defer s.Close()
	locks, err := s.Locks(ctx, "/a")
	if err != nil {
		t.Fatal(err)
	}
	if len(locks) != 1 || locks[0].Token != "urn:t:old" || locks[0].Principal != "" || !locks[0].Shared {
		t.Errorf("Locks(/a) after the upgrade = %+v, want urn:t:old, shared, of principal \"\"", locks)
	}
}

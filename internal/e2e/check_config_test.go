package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// plantOrphan serves dir with args, gives /orphan.txt a property, stops
// the server and removes the file behind its back: the store then holds
// properties of a resource that no longer exists, which check reports.
func plantOrphan(t *testing.T, dir string, args ...string) {
	t.Helper()
	s := startServer(t, dir, args...)
	s.put(t, "/orphan.txt", "soon gone")
	s.setProp(t, "/orphan.txt", "color", "blue")
	s.Stop()
	if err := os.Remove(filepath.Join(dir, "orphan.txt")); err != nil {
		t.Fatal(err)
	}
}

// wantOrphanFound fails unless check exited non-zero having found
// /orphan.txt, which proves it opened the store the server wrote.
func wantOrphanFound(t *testing.T, code int, out, errs string) {
	t.Helper()
	if code == 0 || !strings.Contains(out, "orphaned properties:       1\n  /orphan.txt\n") {
		t.Fatalf("check: exit %d, want non-zero naming /orphan.txt\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestCheckReadsConfigFile: check takes root and state from --config, as
// serve does (issue 13 item 3); before, --config was an unknown flag.
func TestCheckReadsConfigFile(t *testing.T) {
	t.Parallel()
	dir, state := t.TempDir(), t.TempDir()
	plantOrphan(t, dir, "--state", state)
	file := writeConfigFile(t, "root: "+dir+"\nstate: "+state+"\n")
	code, out, errs := runCLI(t, "check", "--config", file)
	wantOrphanFound(t, code, out, errs)
	code, out, errs = runCLI(t, "check", "--config", file, "--repair")
	if code != 0 || !strings.Contains(out, "consistent (after repair)") {
		t.Fatalf("check --repair: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestCheckReadsEnvironment: ATOMDAV_STATE points check at the store, as
// it points serve; before, check looked in DIR/.atomdav, found an empty
// store and called the tree consistent.
func TestCheckReadsEnvironment(t *testing.T) {
	t.Parallel()
	dir, state := t.TempDir(), t.TempDir()
	plantOrphan(t, dir, "--state", state)
	code, out, errs := runCLIEnv(t, []string{"ATOMDAV_STATE=" + state}, "check", dir)
	wantOrphanFound(t, code, out, errs)
}

// TestCheckConfigTypo: a typo in the file or the environment stops check
// with one line naming it, as it stops serve, rather than checking some
// other store than the one configured.
func TestCheckConfigTypo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeConfigFile(t, "root: "+dir+"\nstat: /elsewhere\n")
	code, out, errs := runCLI(t, "check", "--config", file)
	refused(t, code, out, errs, "atomdav.yaml:2", "stat", `"state"`)
	code, out, errs = runCLIEnv(t, []string{"ATOMDAV_STAT=/elsewhere"}, "check", dir)
	refused(t, code, out, errs, "environment", "ATOMDAV_STAT", "ATOMDAV_STATE")
	code, out, errs = runCLI(t, "check", dir, "--store", "mysql://db")
	refused(t, code, out, errs, "store", "postgres://")
}

// TestCheckPostgresStore: check --store checks the PostgreSQL store a
// cluster shares: it finds an orphan and the unfinished intent of a dead
// instance planted there, and --repair fixes both, but refuses while an
// instance serves from the store. Before, --store was an unknown flag and
// a PostgreSQL deployment could not be checked at all.
func TestCheckPostgresStore(t *testing.T) {
	t.Parallel()
	db, dir := clusterDB(t), t.TempDir()
	plantOrphan(t, dir, "--store", db)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO atomdav_intents (op, src, dst, depth0, owner)
		VALUES ('delete', '\x2f676f6e65'::bytea, ''::bytea, false, 'a-dead-instance')`); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runCLI(t, "check", dir, "--store", db)
	wantOrphanFound(t, code, out, errs)
	if !strings.Contains(out, "unfinished intents:        1\n  delete /gone \n") {
		t.Errorf("check did not report the dead instance's intent:\n%s", out)
	}
	code, out, errs = runCLI(t, "check", dir, "--store", db, "--repair")
	if code != 0 || !strings.Contains(out, "consistent (after repair)") {
		t.Fatalf("check --repair: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM atomdav_props`).Scan(&n); err != nil || n != 0 {
		t.Errorf("properties left after repair: %d (%v), want 0", n, err)
	}

	// With an instance serving from the store, a MOVE under way there
	// would look like an orphan: check still reports, --repair refuses.
	live := startServer(t, dir, "--store", db)
	code, out, errs = runCLI(t, "check", dir, "--store", db)
	if code != 0 || !strings.Contains(out, "consistent") {
		t.Errorf("check beside a live instance: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "check", dir, "--store", db, "--repair")
	refused(t, code, out, errs, "other instances are serving", "stop them")
	live.Stop()
}

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// testUser is one account of a test's config file.
type testUser struct {
	name, password, root string
	readOnly             bool
}

// usersConfig writes a config file (outside the served folder) with users,
// their passwords hashed at bcrypt's cheapest cost, plus extra YAML lines,
// and returns its path.
func usersConfig(t *testing.T, users []testUser, extra ...string) string {
	t.Helper()
	return usersConfigCost(t, bcrypt.MinCost, users, extra...)
}

// usersConfigCost is usersConfig with the hashes made at bcrypt cost.
func usersConfigCost(t *testing.T, cost int, users []testUser, extra ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, u := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(u.password), cost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  - name: %s\n    hash: %q\n    root: %s\n    read-only: %t\n", u.name, h, u.root, u.readOnly)
	}
	b.WriteString(strings.Join(extra, "\n") + "\n")
	path := filepath.Join(t.TempDir(), "atomdav.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/atomdav/atomdav/internal/htpasswd"
)

// run runs the atomdav command line args with stdin in, returning its
// output and error.
func run(t *testing.T, in string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd(streams{out: &out, err: &errOut})
	cmd.SetIn(strings.NewReader(in))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestUserAddListRemove: add writes a bcrypt line the password matches,
// with its options, keeping the file's comments and unknown-to-us lines;
// list shows no hash; remove takes the line out and nothing else.
func TestUserAddListRemove(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "users")
	orig := "# the household\nbob:$apr1$Eou2IGcT$gvJHcF6JBDX76G7BxBHU4.\n\n"
	os.WriteFile(file, []byte(orig), 0o640)
	if _, err := run(t, "s3cret\n", "user", "add", "alice", "--users-file", file, "--root", "/alice", "--read-only", "--cost", "4"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(data), orig) {
		t.Fatalf("the other lines changed:\n%s", data)
	}
	entries, err := htpasswd.Parse(data)
	if err != nil || len(entries) != 2 {
		t.Fatalf("after add: %v, %+v", err, entries)
	}
	alice := entries[1]
	if alice.Name != "alice" || alice.Root != "/alice" || !alice.ReadOnly || alice.Scheme.Name != "bcrypt" {
		t.Fatalf("alice = %+v", alice)
	}
	if htpasswd.Compare(alice.Hash, []byte("s3cret")) != nil {
		t.Fatal("the password does not match the hash written")
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", fi.Mode().Perm())
	}

	out, err := run(t, "", "user", "list", "--users-file", file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "$") || !strings.Contains(out, "alice  /alice  read-only") || !strings.Contains(out, "apr1 (weak)") {
		t.Fatalf("list:\n%s", out)
	}

	if _, err := run(t, "", "user", "remove", "bob", "--users-file", file); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(file)
	if want := "# the household\n\n" + entries[1].Name + ":" + alice.Hash + ":root=/alice,read-only\n"; string(data) != want {
		t.Fatalf("after remove:\n%q\nwant\n%q", data, want)
	}
}

func TestUserAddRefuses(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "users")
	for name, args := range map[string][]string{
		"colon in name":   {"a:b"},
		"control char":    {"a\nb"},
		"comment name":    {"#a"},
		"relative root":   {"a", "--root", "a"},
		"root with comma": {"a", "--root", "/a,b"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"user", "add"}, args...)
			if _, err := run(t, "pw\n", append(args, "--users-file", file, "--cost", "4")...); err == nil {
				t.Fatal("accepted")
			}
			if _, err := os.Stat(file); err == nil {
				t.Fatal("the file was written")
			}
		})
	}
	if _, err := run(t, "pw\n", "user", "add", "a", "--cost", "4"); err == nil || !strings.Contains(err.Error(), "no users file") {
		t.Fatalf("without a users file: %v", err)
	}
	run(t, "pw\n", "user", "add", "a", "--users-file", file, "--cost", "4")
	if _, err := run(t, "pw\n", "user", "add", "a", "--users-file", file, "--cost", "4"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("adding a twice: %v", err)
	}
	if _, err := run(t, "", "user", "remove", "nobody", "--users-file", file); err == nil {
		t.Fatal("removing an unknown user succeeded")
	}
}

// TestUserAddConcurrent: users added at once by separate commands all
// end up in the file.
func TestUserAddConcurrent(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "users")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := run(t, "pw\n", "user", "add", "u"+string(rune('a'+i)), "--users-file", file, "--cost", "4"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	data, _ := os.ReadFile(file)
	if entries, err := htpasswd.Parse(data); err != nil || len(entries) != 8 {
		t.Fatalf("%d users, %v:\n%s", len(entries), err, data)
	}
}

// TestUsersFileFromConfig: without --users-file, the config's users-file
// is edited.
func TestUsersFileFromConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "users")
	conf := filepath.Join(dir, "atomdav.yaml")
	os.WriteFile(conf, []byte("users-file: "+file+"\n"), 0o600)
	if _, err := run(t, "pw\n", "user", "add", "carol", "--config", conf, "--cost", "4"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "", "user", "list", "--config", conf); err != nil || !strings.Contains(out, "carol") {
		t.Fatalf("list = %q, %v", out, err)
	}
}

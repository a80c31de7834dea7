package htpasswd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const bcryptHash = "$2y$05$2zlZthXM0zW3LRIZT/8noe7HhWmMyphCkCwctCAht1qt2j27cyLVy"

func TestParse(t *testing.T) {
	data := "# users\r\n\nalice:" + bcryptHash + "\r\n  # indented comment\n" +
		"bob:{SHA}PcoIHxhUptvsl48mfbCyv35Tfsw=:root=/bob,read-only\ncarol:" + bcryptHash + ":"
	got, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Line: 3, Name: "alice", Hash: bcryptHash, Scheme: Scheme{Name: "bcrypt"}},
		{Line: 5, Name: "bob", Hash: "{SHA}PcoIHxhUptvsl48mfbCyv35Tfsw=", Scheme: Scheme{Name: "sha1", Weak: true}, Options: true, Root: "/bob", ReadOnly: true},
		{Line: 6, Name: "carol", Hash: bcryptHash, Scheme: Scheme{Name: "bcrypt"}, Options: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		data string
		line int
		msg  string
	}{
		"plain text":     {"# c\nalice:secret\n", 2, "plain text"},
		"DES crypt":      {"alice:RWOdqQwDbHt8Y\n", 1, "DES crypt"},
		"no hash":        {"alice\n", 1, "name:hash"},
		"empty name":     {":" + bcryptHash + "\n", 1, "user name"},
		"control char":   {"al\x01ice:" + bcryptHash + "\n", 1, "user name"},
		"twice":          {"a:" + bcryptHash + "\nb:" + bcryptHash + "\na:" + bcryptHash + "\n", 3, "already on line 1"},
		"unknown option": {"a:" + bcryptHash + ":readonly\n", 1, `unknown option "readonly"`},
		"relative root":  {"a:" + bcryptHash + ":root=alice\n", 1, "root="},
		"dotdot root":    {"a:" + bcryptHash + ":root=/x/../..\n", 1, "root="},
		"option twice":   {"a:" + bcryptHash + ":read-only,read-only\n", 1, "twice"},
		"four fields":    {"a:" + bcryptHash + ":read-only:x\n", 1, "three"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			var le *LineError
			if !errors.As(err, &le) || le.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Parse = %v; want line %d mentioning %q", err, tc.line, tc.msg)
			}
		})
	}
}

func TestAddRemoveKeepOtherLines(t *testing.T) {
	orig := "# household\nalice:" + bcryptHash + " \n\n# the end"
	out, err := Add([]byte(orig), Entry{Name: "bob", Hash: bcryptHash, Root: "/bob", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	want := orig + "\nbob:" + bcryptHash + ":root=/bob,read-only\n"
	if string(out) != want {
		t.Fatalf("Add = %q, want %q", out, want)
	}
	if _, err := Add(out, Entry{Name: "alice", Hash: bcryptHash}); !errors.Is(err, ErrExists) {
		t.Fatalf("Add of alice again = %v, want ErrExists", err)
	}
	out, err = Remove(out, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# household\n\n# the end\nbob:" + bcryptHash + ":root=/bob,read-only\n"; string(out) != want {
		t.Fatalf("Remove = %q, want %q", out, want)
	}
	if _, err := Remove(out, "alice"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("Remove of a missing user = %v, want ErrNoUser", err)
	}
}

// TestEditConcurrent runs many Edits at once: each adds its user, none is
// lost, the mode is kept and no temp file stays behind.
func TestEditConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users")
	if err := os.WriteFile(path, []byte("# keep me\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Edit(path, func(data []byte) ([]byte, error) {
				return Add(data, Entry{Name: "u" + string(rune('a'+i)), Hash: bcryptHash})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	entries, err := Parse(data)
	if err != nil || len(entries) != 20 || !strings.HasPrefix(string(data), "# keep me\n") {
		t.Fatalf("after 20 concurrent adds: %d users, %v:\n%s", len(entries), err, data)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
	}
	names, _ := filepath.Glob(filepath.Join(dir, ".users.tmp-*"))
	if len(names) != 0 {
		t.Errorf("temp files left: %v", names)
	}
}

// TestEditFailureKeepsFile: a change that fails leaves the file as it was.
func TestEditFailureKeepsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	os.WriteFile(path, []byte("alice:"+bcryptHash+"\n"), 0o600)
	err := Edit(path, func(data []byte) ([]byte, error) { return Remove(data, "nobody") })
	if !errors.Is(err, ErrNoUser) {
		t.Fatalf("Edit = %v, want ErrNoUser", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "alice:"+bcryptHash+"\n" {
		t.Fatalf("file changed: %q", data)
	}
}

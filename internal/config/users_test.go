package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	bcryptA = "$2y$05$2zlZthXM0zW3LRIZT/8noe7HhWmMyphCkCwctCAht1qt2j27cyLVy"
	apr1A   = "$apr1$Eou2IGcT$gvJHcF6JBDX76G7BxBHU4."
)

// TestAllUsersMerges: YAML users, the users file and --user together; a
// YAML entry without a hash gives settings to the file's user.
func TestAllUsersMerges(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "users")
	os.WriteFile(file, []byte("# household\nbob:"+apr1A+":root=/bob,read-only\ncarol:"+bcryptA+"\n"), 0o600)
	c := Config{
		Users:     []User{{Name: "alice", Hash: bcryptA}, {Name: "carol", Root: "/carol", ReadOnly: true}},
		UsersFile: file,
		User:      "dave:" + bcryptA,
	}
	users, weak, err := c.AllUsers()
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "alice", Hash: bcryptA},
		{Name: "carol", Hash: bcryptA, Root: "/carol", ReadOnly: true},
		{Name: "bob", Hash: apr1A, Root: "/bob", ReadOnly: true},
		{Name: "dave", Hash: bcryptA, Root: "/"},
	}
	if len(users) != len(want) {
		t.Fatalf("users = %+v", users)
	}
	for i := range want {
		if !reflect.DeepEqual(users[i], want[i]) {
			t.Errorf("users[%d] = %+v, want %+v", i, users[i], want[i])
		}
	}
	if len(weak) != 1 || weak[0] != "bob" {
		t.Errorf("weak = %v, want [bob]", weak)
	}
}

func TestAllUsersRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o600)
		return p
	}
	plain := write("plain", "# c\nalice:secret\n")
	good := write("good", "bob:"+bcryptA+"\ncarol:"+bcryptA+":read-only\n")
	for name, tc := range map[string]struct {
		c    Config
		want string
	}{
		"plain text line":      {Config{UsersFile: plain}, plain + ":2: "},
		"missing file":         {Config{UsersFile: filepath.Join(dir, "nope")}, "users-file"},
		"in both with hashes":  {Config{UsersFile: good, Users: []User{{Name: "bob", Hash: bcryptA}}}, "users-file " + good + " too, line 1"},
		"options in both":      {Config{UsersFile: good, Users: []User{{Name: "carol", Root: "/c"}}}, "options in users-file"},
		"no hash anywhere":     {Config{UsersFile: good, Users: []User{{Name: "eve"}}}, "users[0].hash: required"},
		"user flag duplicate":  {Config{UsersFile: good, User: "bob:" + bcryptA}, `user: "bob"`},
		"user flag not bcrypt": {Config{User: "x:" + apr1A}, "must be bcrypt"},
		"user flag no colon":   {Config{User: "x"}, "NAME:HASH"},
		"user flag bad name":   {Config{User: "a\x01:" + bcryptA}, "user name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := tc.c.AllUsers()
			if !errors.Is(err, ErrUsers) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AllUsers = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestUserFromEnvironment: ATOMDAV_USER sets the user key.
func TestUserFromEnvironment(t *testing.T) {
	t.Parallel()
	c, err := load(t, nil, []string{"ATOMDAV_USER=alice:" + bcryptA, "ATOMDAV_USERS_FILE=/x/users"})
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "alice:"+bcryptA || c.UsersFile != "/x/users" {
		t.Fatalf("user = %q, users-file = %q", c.User, c.UsersFile)
	}
}

package config

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/atomdav/atomdav/internal/htpasswd"
)

// ErrUsers is wrapped by every error about the users that AllUsers meets.
var ErrUsers = errors.New("users")

// AllUsers returns every user the server serves: those of the users key,
// those of the users-file (an Apache htpasswd file, re-read at each call)
// and the one of the user key (NAME:BCRYPT-HASH), merged. A name may be
// in one of them only, with one exception: an entry of users without a
// hash takes the hash of the same name in the users-file and adds its
// own settings (root, read-only and whatever else a user has), which the
// file's line must then not have. weak names the users whose hash is of
// a weak scheme ({SHA}, apr1, MD5 crypt).
func (c *Config) AllUsers() (users []User, weak []string, err error) {
	file, err := c.fileUsers()
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]int{} // index in users
	inYAML := map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		if inYAML[u.Name] {
			return nil, nil, fmt.Errorf("%w: %s.name: %q appears twice", ErrUsers, key, u.Name)
		}
		inYAML[u.Name] = true
		e, inFile := file[u.Name]
		switch {
		case u.Hash == "" && !inFile:
			return nil, nil, fmt.Errorf("%w: %s.hash: required, as %q is not in users-file (make one with 'atomdav user hash')", ErrUsers, key, u.Name)
		case u.Hash != "" && inFile:
			return nil, nil, fmt.Errorf("%w: %s: %q is in users-file %s too, line %d: give the hash in one place (an entry without hash adds settings to the file's user)", ErrUsers, key, u.Name, c.UsersFile, e.Line)
		case inFile && e.Options:
			return nil, nil, fmt.Errorf("%w: %s: %q has options in users-file %s, line %d, and settings here: give them in one place", ErrUsers, key, u.Name, c.UsersFile, e.Line)
		case inFile:
			u.Hash = e.Hash
		}
		byName[u.Name] = len(users)
		users = append(users, u)
	}
	for _, e := range file.sorted() {
		if !inYAML[e.Name] {
			byName[e.Name] = len(users)
			users = append(users, User{Name: e.Name, Hash: e.Hash, Root: e.Root, ReadOnly: e.ReadOnly})
		}
	}
	if c.User != "" {
		u, err := parseUserFlag(c.User)
		if err != nil {
			return nil, nil, err
		}
		if _, dup := byName[u.Name]; dup {
			return nil, nil, fmt.Errorf("%w: user: %q is configured in users or users-file too", ErrUsers, u.Name)
		}
		users = append(users, u)
	}
	for _, u := range users {
		if s, err := htpasswd.Check(u.Hash); err == nil && s.Weak {
			weak = append(weak, u.Name)
		}
	}
	return users, weak, nil
}

// fileEntries are a users file's users by name.
type fileEntries map[string]htpasswd.Entry

// sorted returns the entries in the file's order.
func (f fileEntries) sorted() []htpasswd.Entry {
	out := make([]htpasswd.Entry, 0, len(f))
	for _, e := range f {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b htpasswd.Entry) int { return cmp.Compare(a.Line, b.Line) })
	return out
}

// fileUsers reads the users-file, if any, naming the file and line of
// an error.
func (c *Config) fileUsers() (fileEntries, error) {
	if c.UsersFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.UsersFile)
	if err != nil {
		return nil, fmt.Errorf("%w: users-file: %w", ErrUsers, err)
	}
	entries, err := htpasswd.Parse(data)
	var le *htpasswd.LineError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("%w: users-file %s:%d: %w", ErrUsers, c.UsersFile, le.Line, le.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: users-file %s: %w", ErrUsers, c.UsersFile, err)
	}
	out := make(fileEntries, len(entries))
	for _, e := range entries {
		out[e.Name] = e
	}
	return out, nil
}

// parseUserFlag reads the user key: NAME:HASH with a bcrypt hash.
func parseUserFlag(s string) (User, error) {
	name, hash, ok := strings.Cut(s, ":")
	if !ok {
		return User{}, fmt.Errorf("%w: user: %q is not NAME:HASH", ErrUsers, redact(s))
	}
	if err := htpasswd.CheckName(name); err != nil {
		return User{}, fmt.Errorf("%w: user: %w", ErrUsers, err)
	}
	if sch, err := htpasswd.Check(hash); err != nil || sch.Name != "bcrypt" {
		return User{}, fmt.Errorf("%w: user: the hash of %q must be bcrypt (make one with 'atomdav user hash'; quote it against the shell's $: --user 'NAME:$2a$…')", ErrUsers, name)
	}
	return User{Name: name, Hash: hash, Root: "/"}, nil
}

// redact hides what follows the first ':' of s, a password or hash.
func redact(s string) string {
	if name, _, ok := strings.Cut(s, ":"); ok {
		return name + ":<redacted>"
	}
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

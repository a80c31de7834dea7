package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/crypto/bcrypt"
)

func load(t *testing.T, args, environ []string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	AddFlags(fs, Default())
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs, environ)
}

// TestPrecedence: flags > environment > file > defaults.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "atomdav.yaml")
	os.WriteFile(file, []byte("addr: 127.0.0.1:1111\nmax-upload-bytes: 10\nprefix: /file\nlog-level: warn\ncors-origins: [https://a.example]\n"), 0o600)
	c, err := load(t, []string{"--config", file, "--addr", "127.0.0.1:3333"},
		[]string{"ATOMDAV_ADDR=127.0.0.1:2222", "ATOMDAV_MAX_UPLOAD_BYTES=20", "ATOMDAV_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1", "HOME=/x"})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ key, got, want string }{
		{"addr (flag over env over file)", c.Addr, "127.0.0.1:3333"},
		{"max-upload-bytes (env over file)", strconv.FormatInt(c.MaxUploadBytes, 10), "20"},
		{"prefix (file over default)", c.Prefix, "/file"},
		{"log-level (file)", c.LogLevel, "warn"},
		{"max-lock-timeout (default)", c.MaxLockTimeout.String(), (24 * time.Hour).String()},
		{"trusted-proxies (env list)", strings.Join(c.TrustedProxies, ","), "10.0.0.0/8,127.0.0.1"},
		{"cors-origins (file list)", strings.Join(c.CORSOrigins, ","), "https://a.example"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.key, ck.got, ck.want)
		}
	}
}

// examplePlaceholder is the hash of each user of the example.
const examplePlaceholder = "REPLACE with the output of: atomdav user hash"

// TestExampleIsValid: the example parses strictly and, once its
// placeholder hashes are replaced by real ones, validates.
func TestExampleIsValid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	example := strings.Replace(Example, "root: /srv/webdav", "root: "+dir, 1)
	file := filepath.Join(dir, "example.yaml")
	os.WriteFile(file, []byte(strings.ReplaceAll(example, examplePlaceholder, string(hash))), 0o600)
	c, err := load(t, []string{"--config", file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("the example config does not validate: %v", err)
	}
	if len(c.Users) != 2 || c.Users[1].Root != "/public" || !c.Users[1].ReadOnly {
		t.Fatalf("users = %+v", c.Users)
	}
}

// TestExampleCreatesNoAccount: the example as printed is refused, naming
// each user's hash, so copying it cannot create accounts sharing a hash
// everyone knows; the hash older examples printed is refused too.
func TestExampleCreatesNoAccount(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	example := strings.Replace(Example, "root: /srv/webdav", "root: "+dir, 1)
	for name, text := range map[string]string{
		"placeholder":    example,
		"published hash": strings.ReplaceAll(example, examplePlaceholder, publishedHash),
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "example.yaml")
			os.WriteFile(file, []byte(text), 0o600)
			c, err := load(t, []string{"--config", file}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if err == nil || !strings.Contains(err.Error(), "users[0].hash") || !strings.Contains(err.Error(), "users[1].hash") {
				t.Fatalf("Validate() = %v, want both users' hashes refused", err)
			}
		})
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		edit func(*Config)
		key  string
	}{
		{"no users and no anonymous", func(c *Config) { c.Anonymous = false }, "users:"},
		{"bad log level", func(c *Config) { c.LogLevel = "loud" }, "log-level:"},
		{"cert without key", func(c *Config) { c.TLSCert = "c.pem" }, "tls-cert:"},
		{"auth header without proxies", func(c *Config) { c.AuthHeader = "X-Forwarded-User" }, "auth-header:"},
		{"bad proxy", func(c *Config) { c.TrustedProxies = []string{"nope"} }, "trusted-proxies:"},
		{"allowed host with a port", func(c *Config) { c.AllowedHosts = []string{"files.example:8080"} }, "allowed-hosts:"},
		{"allowed host an IPv6 literal", func(c *Config) { c.AllowedHosts = []string{"[::1]"} }, "allowed-hosts:"},
		{"allowed host a URL", func(c *Config) { c.AllowedHosts = []string{"https://files.example"} }, "allowed-hosts:"},
		{"allowed host empty", func(c *Config) { c.AllowedHosts = []string{""} }, "allowed-hosts:"},
		// A wildcard would be compared as a literal name and match no Host:
		// every request refused with 421.
		{"allowed host a wildcard", func(c *Config) { c.AllowedHosts = []string{"*.example.com"} }, "allowed-hosts:"},
		{"plain password", func(c *Config) { c.Users = []User{{Name: "a", Hash: "secret"}} }, "users[0].hash:"},
		{"missing root", func(c *Config) { c.Root = filepath.Join(dir, "missing") }, "root:"},
		{"negative upload limit", func(c *Config) { c.MaxUploadBytes = -1 }, "max-upload-bytes:"},
		{"unknown durability", func(c *Config) { c.Durability = "sometimes" }, "durability:"},
		{"no XML depth", func(c *Config) { c.MaxXMLDepth = 0 }, "max-xml-depth:"},
		{"XML depth too deep to recurse", func(c *Config) { c.MaxXMLDepth = 1 << 20 }, "max-xml-depth:"},
		{"rule path not clean", func(c *Config) { c.Rules = []Rule{{Path: "/a/../b", Access: "read"}} }, "rules[0].path:"},
		{"rule path relative", func(c *Config) { c.Rules = []Rule{{Path: "private", Access: "none"}} }, "rules[0].path:"},
		{"rule path with a trailing slash", func(c *Config) { c.Rules = []Rule{{Path: "/private/", Access: "none"}} }, "rules[0].path:"},
		{"rule access unknown", func(c *Config) { c.Rules = []Rule{{Path: "/a", Access: "rw"}} }, "rules[0].access:"},
		{"rule path twice", func(c *Config) {
			c.Rules = []Rule{{Path: "/a", Access: "read"}, {Path: "/A", Access: "write"}}
		}, "rules[1].path:"},
		{"user rule access missing", func(c *Config) {
			c.Users = []User{{Name: "a", Hash: "$2a$10$x", Rules: []Rule{{Path: "/x"}}}}
		}, "users[0].rules[0].access:"},
		{"hide pattern malformed", func(c *Config) { c.Hide = []string{"[a-"} }, "hide:"},
		{"hide pattern with a slash", func(c *Config) { c.Hide = []string{"a/*.tmp"} }, "hide:"},
		// A rescan every few milliseconds would keep a core walking the tree.
		{"rescan interval under a second", func(c *Config) { c.RescanInterval = time.Millisecond }, "rescan-interval:"},
		{"negative rescan interval", func(c *Config) { c.RescanInterval = -time.Hour }, "rescan-interval:"},
		{"comma in a name the auth header gives", func(c *Config) {
			c.AuthHeader, c.TrustedProxies = "X-Forwarded-User", []string{"127.0.0.1"}
			c.Users = []User{{Name: "a,b", Hash: "$2a$10$x"}}
		}, "users[0].name:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Root, c.Anonymous = dir, true
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.key)
			}
		})
	}
}

// TestEveryKeyDocumented: every option has a flag, a line in the example
// and a row in the README's option table (issue 13 item 3), so no limit
// is left without a documented way to change it.
func TestEveryKeyDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs, Default())
	names, _ := keys(reflect.TypeFor[Config]())
	for _, k := range names {
		if k != "root" && k != "users" && k != "rules" && fs.Lookup(k) == nil { // users, rules: file only
			t.Errorf("%s has no flag", k)
		}
		if !strings.Contains(Example, "\n"+k+":") && !strings.Contains(Example, "\n# "+k+":") {
			t.Errorf("%s is not in the example", k)
		}
		// The key in the first cell of a row: "| `tls-cert`, `tls-key` |".
		if !regexp.MustCompile("(?m)^\\| [^|]*`" + regexp.QuoteMeta(k) + "`[^|]*\\|").Match(readme) {
			t.Errorf("%s has no row in the README's option table", k)
		}
	}
}

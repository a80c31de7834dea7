package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// loadFile loads the YAML text as the --config file, with environ.
func loadFile(t *testing.T, yaml string, environ []string) (Config, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "atomdav.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return load(t, []string{"--config", file}, environ)
}

const user = "users:\n  - name: alice\n    hash: \"$2a$04$CLKsIhYerLv4q70yE1cjWOu291tgx.c7gN1usJm63QQJBu6D7ne4S\"\n"

// TestStrictFile: each class of typo stops Load with an error of the
// right kind naming the key, the line and, for a near miss, the key meant.
func TestStrictFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		kind error
		want []string // substrings of the error
	}{
		{"misspelt user key", user + "    readonly: true\n", ErrUnknownKey, []string{":4: users[0].readonly: unknown key", `did you mean "read-only"`}},
		{"misspelt top key", "max-upload-byte: 10\n", ErrUnknownKey, []string{":1: max-upload-byte: unknown key", `did you mean "max-upload-bytes"`}},
		{"underscores", "addr: x\nmax_upload_bytes: 10\n", ErrUnknownKey, []string{":2: max_upload_bytes", `did you mean "max-upload-bytes"`}},
		{"far from any key", "colour: blue\n", ErrUnknownKey, []string{":1: colour: unknown key"}},
		{"config is a flag, not a key", "config: other.yaml\n", ErrUnknownKey, []string{":1: config: unknown key"}},
		{"key set twice", "addr: a\naddr: b\n", ErrBadValue, []string{":2: addr: set twice (first on line 1)"}},
		{"duration without unit", "idle-timeout: 5\n", ErrBadValue, []string{":1: idle-timeout: 5 is not a duration", `"5s"`}},
		{"duration as fraction", "shutdown-timeout: 1.5\n", ErrBadValue, []string{":1: shutdown-timeout: must be a duration", "1.5"}},
		{"duration nonsense", "max-lock-timeout: soon\n", ErrBadValue, []string{":1: max-lock-timeout", "not a duration"}},
		{"fraction for a whole number", "max-conns: 10.5\n", ErrBadValue, []string{":1: max-conns: must be a whole number", "10.5"}},
		{"exponent for a whole number", "max-xml-bytes: 1e6\n", ErrBadValue, []string{":1: max-xml-bytes: must be a whole number"}},
		{"text for a whole number", "max-upload-bytes: 10MB\n", ErrBadValue, []string{":1: max-upload-bytes: must be a whole number", `"10MB"`}},
		{"overflow", "max-conns: 99999999999999999999\n", ErrBadValue, []string{":1: max-conns: must be a whole number"}},
		{"yes for a boolean", user + "    read-only: yes\n", ErrBadValue, []string{":4: users[0].read-only: must be true or false", `"yes"`}},
		{"number for a boolean", "anonymous: 1\n", ErrBadValue, []string{":1: anonymous: must be true or false"}},
		{"empty boolean", "anonymous:\n", ErrBadValue, []string{":1: anonymous: must be true or false, not nothing"}},
		{"number for text", "users:\n  - name: 123\n    hash: \"$2a$x\"\n", ErrBadValue, []string{":2: users[0].name: must be text", "quote it"}},
		{"scalar for a list", "cors-origins: https://a.example\n", ErrBadValue, []string{":1: cors-origins: must be a list"}},
		{"list for text", "addr: [a, b]\n", ErrBadValue, []string{":1: addr: must be text", "a list"}},
		{"users as a mapping", "users:\n  alice: x\n", ErrBadValue, []string{":2: users: must be a list"}},
		{"user as text", "users:\n  - alice\n", ErrBadValue, []string{":2: users[0]: must be a mapping"}},
		{"file is a list", "- a\n- b\n", ErrBadValue, []string{":1: (top level): must be a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadFile(t, tt.yaml, nil)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("Load() = %v, want %v", err, tt.kind)
			}
			var ke *KeyError
			if !errors.As(err, &ke) || !strings.HasPrefix(ke.Where, "config ") {
				t.Errorf("Load() = %#v, want a *KeyError in the file", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Load() = %q, want one line", err)
			}
		})
	}
}

// TestStrictFileAccepts: what a correct file may hold still loads, with the
// values meant.
func TestStrictFileAccepts(t *testing.T) {
	t.Parallel()
	c, err := loadFile(t, user+"    read-only: true\n    root: /a\n"+`
idle-timeout: 90s
shutdown-timeout: 0
max-upload-bytes: 1048576
anonymous: false
allow-infinite-depth: TRUE
prefix: "/dav"
tls-cert:
cors-origins: []
trusted-proxies:
  - 127.0.0.1
  - "10.0.0.0/8"
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Users[0].ReadOnly || c.IdleTimeout.String() != "1m30s" || c.ShutdownTimeout != 0 || c.MaxUploadBytes != 1<<20 ||
		!c.AllowInfiniteDepth || c.Prefix != "/dav" || len(c.TrustedProxies) != 2 {
		t.Fatalf("loaded %+v", c)
	}
	if _, err := loadFile(t, "# only a comment\n", nil); err != nil {
		t.Errorf("a file of comments: %v", err)
	}
}

func TestStrictFileOneDocument(t *testing.T) {
	t.Parallel()
	_, err := loadFile(t, "addr: a\n---\naddr: b\n", nil)
	if err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Fatalf("Load() = %v, want the second document refused", err)
	}
}

// TestStrictEnv: an ATOMDAV_ variable naming no option, or holding a value
// of the wrong kind, stops Load as a file's key would; ATOMDAV_CONFIG and
// the test and benchmark knobs are not options and pass.
func TestStrictEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  string
		kind error // nil: accepted
		want string
	}{
		{"ATOMDAV_IDLE_TIMOUT=5s", ErrUnknownKey, "ATOMDAV_IDLE_TIMOUT: no option has this variable (did you mean ATOMDAV_IDLE_TIMEOUT?)"},
		{"ATOMDAV_USERS=alice", ErrUnknownKey, "ATOMDAV_USERS"},
		{"ATOMDAV_IDLE_TIMEOUT=5", ErrBadValue, `ATOMDAV_IDLE_TIMEOUT: "5" is not a duration`},
		{"ATOMDAV_MAX_CONNS=10.5", ErrBadValue, `ATOMDAV_MAX_CONNS: "10.5" is not a whole number`},
		{"ATOMDAV_ANONYMOUS=yes", ErrBadValue, `ATOMDAV_ANONYMOUS: "yes" is not true or false`},
		{"ATOMDAV_ANONYMOUS=true", nil, ""},
		{"ATOMDAV_IDLE_TIMEOUT=5s", nil, ""},
		{"ATOMDAV_CORS_ORIGINS=https://a.example,https://b.example", nil, ""},
		{"ATOMDAV_TEST_POSTGRES=postgres://x", nil, ""},
		{"ATOMDAV_BENCH_BIG=4G", nil, ""},
		{"ATOMDAV_ARTIFACTS=/tmp/a", nil, ""},
		{"ATOMDAV_CONFIG=", nil, ""},
		{"NOT_ATOMDAV_X=1", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, nil, []string{tt.env})
			switch {
			case tt.kind == nil && err != nil:
				t.Fatalf("Load() = %v, want it accepted", err)
			case tt.kind != nil && !errors.Is(err, tt.kind):
				t.Fatalf("Load() = %v, want %v", err, tt.kind)
			case tt.kind != nil && !strings.Contains(err.Error(), "environment: "+tt.want):
				t.Fatalf("Load() = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEveryKeyIsOneName: each Config field has one name as YAML key, koanf
// key and flag, so strict checking (which reads the koanf tags) knows every
// option another change adds, and print-config prints it under that name.
func TestEveryKeyIsOneName(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	AddFlags(fs, Default())
	ct := reflect.TypeFor[Config]()
	names, _ := keys(ct)
	known := map[string]bool{"config": true}
	for i := range ct.NumField() {
		f := ct.Field(i)
		k, y := f.Tag.Get("koanf"), f.Tag.Get("yaml")
		if k == "" || k != y {
			t.Errorf("Config.%s: koanf tag %q, yaml tag %q: want one name", f.Name, k, y)
		}
	}
	for _, n := range names {
		known[n] = true
		if n != "users" && n != "rules" && n != "root" && fs.Lookup(n) == nil { // users, rules: file only; root: the DIR argument
			t.Errorf("key %s has no flag --%s", n, n)
		}
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if !known[f.Name] {
			t.Errorf("flag --%s is no key of Config: the file would refuse it", f.Name)
		}
	})
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	cands := []string{"name", "hash", "root", "read-only"}
	for in, want := range map[string]string{
		"readonly":  ` (did you mean "read-only"?)`,
		"Read_Only": ` (did you mean "read-only"?)`,
		"rot":       ` (did you mean "root"?)`,
		"password":  "",
		"x":         "",
	} {
		if got := didYouMean(in, cands, quoted); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStrictTypesToCome: kinds of option Config may gain (maps, lists of
// numbers, unsigned and float numbers) are checked the same way.
func TestStrictTypesToCome(t *testing.T) {
	t.Parallel()
	type future struct {
		Labels map[string]int `koanf:"labels"`
		Ports  []uint16       `koanf:"ports"`
		Ratio  float64        `koanf:"ratio"`
	}
	ft := reflect.TypeFor[future]()
	tests := []struct{ yaml, want string }{
		{"labels: {a: 1}\nports: [80, 443]\nratio: 0.5\n", ""},
		{"labels: {a: x}\n", "labels.a: must be a whole number"},
		{"labels: [a]\n", "labels: must be a mapping"},
		{"ports: [80, 70000]\n", "ports[1]: must be a whole number from 0 that fits in 16 bits"},
		{"ports: [-1]\n", "ports[0]: must be a whole number from 0"},
		{"ratio: half\n", "ratio: must be a number"},
	}
	for _, tt := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tt.yaml), &doc); err != nil {
			t.Fatal(err)
		}
		c := &fileChecker{path: "f"}
		c.value(doc.Content[0], ft, "")
		err := joinLine(c.errs)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v, want it accepted", tt.yaml, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

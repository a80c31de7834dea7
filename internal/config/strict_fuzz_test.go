package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/v2"
)

// yamlBytes is a koanf.Provider of YAML already in memory.
type yamlBytes []byte

func (b yamlBytes) ReadBytes() ([]byte, error) { return b, nil }

func (b yamlBytes) Read() (map[string]any, error) { return nil, errors.New("yamlBytes: bytes only") }

// FuzzCheckFile: checkFile never panics, and what it accepts koanf
// decodes into a Config without error, so a file that passes the strict
// check never fails later with koanf's less helpful message.
func FuzzCheckFile(f *testing.F) {
	for _, seed := range []string{
		"",
		"addr: 127.0.0.1:8080\nidle-timeout: 2m\nmax-conns: 3\nanonymous: true\n",
		user + "    read-only: true\n    root: /a\n",
		user + "    readonly: true\n",
		"idle-timeout: 5\nmax-conns: 10.5\nanonymous: yes\n",
		"cors-origins: [a, b]\ntrusted-proxies:\n  - 10.0.0.0/8\n",
		"u: &u {name: a, hash: $2x}\nusers: [*u, *u]\n",
		"users:\n  - &u {name: a, hash: $2x}\n  - *u\n",
		"max-xml-bytes: 0x10\nmax-upload-bytes: -1\nshutdown-timeout: 0\n",
		"? [a]\n: b\n",
		"- a\n",
		"a: b\n---\nc: d\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if checkFile("fuzz.yaml", []byte(data)) != nil {
			return
		}
		k := koanf.New(".")
		if err := k.Load(yamlBytes(data), yaml.Parser()); err != nil {
			if strings.Contains(err.Error(), "excessive aliasing") {
				return // refused too, with a clear line
			}
			t.Fatalf("checkFile accepted %q, koanf's parser refuses it: %v", data, err)
		}
		var c Config
		if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
			t.Fatalf("checkFile accepted %q, koanf cannot decode it: %v", data, err)
		}
	})
}

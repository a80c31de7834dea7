package htpasswd

import (
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary files: it must not panic, and every
// entry it returns must have a valid name, a hash Check accepts, and
// survive Format and Parse again unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\nalice:" + bcryptHash + "\n"))
	f.Add([]byte("bob:{SHA}PcoIHxhUptvsl48mfbCyv35Tfsw=:root=/bob,read-only\r\n"))
	f.Add([]byte("x:$apr1$Eou2IGcT$gvJHcF6JBDX76G7BxBHU4.:\n\n  \n"))
	f.Add([]byte("x:$5$rounds=10000$VtfzjjWO62P6kgNH$SBEQAqU2Nv23IE8bU73eLfooG89VJt1YlsfGHNkEQN."))
	f.Add([]byte("alice:secret\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if CheckName(e.Name) != nil {
				t.Fatalf("bad name accepted: %q", e.Name)
			}
			if _, err := Check(e.Hash); err != nil {
				t.Fatalf("bad hash accepted: %q", e.Hash)
			}
			if strings.Contains(e.Root, ",") {
				continue // cannot be written back; not produced by Parse anyway
			}
			again, err := Parse([]byte(Format(e)))
			if err != nil || len(again) != 1 || again[0].Name != e.Name || again[0].Hash != e.Hash ||
				again[0].Root != e.Root || again[0].ReadOnly != e.ReadOnly {
				t.Fatalf("Format(%+v) = %q parses to %+v, %v", e, Format(e), again, err)
			}
		}
	})
}

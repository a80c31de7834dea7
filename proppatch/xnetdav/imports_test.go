package xnetdav_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the adapter adoptable (DESIGN §3): its production code
// reaches into this module only for proppatch and ifheader, and they reach
// nothing else of it, so an adopter pulls in neither internal/ nor storage.
func TestImports(t *testing.T) {
	const module = "github.com/atomdav/atomdav/"
	allowed := map[string]string{
		"proppatch/xnetdav": ".",
		"proppatch":         "..",
		"ifheader":          "../../ifheader",
	}
	for pkg, dir := range allowed {
		p, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range p.Imports {
			rel, ours := strings.CutPrefix(imp, module)
			if _, ok := allowed[rel]; ours && !ok {
				t.Errorf("%s imports %s: an adopter of proppatch/xnetdav would need it", pkg, imp)
			}
		}
	}
}

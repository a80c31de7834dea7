// Command typecheck type-checks, function bodies included, the packages of
// this module that cmd/atomdav links on each GOOS/GOARCH given as an
// argument (files as go list selects them, cgo off as in make dist),
// against their dependencies read from source: a cross build's compile
// errors, at a fraction of its cost. TestDistPlatformsTypecheck runs it
// with go run from the repository's root, so that it is not built with
// -race, which slows go/types down five times.
package main

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	failed := false
	for _, p := range os.Args[1:] {
		goos, goarch, _ := strings.Cut(p, "/")
		if err := typecheck(goos, goarch); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", p, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// typecheck checks the module's packages that cmd/atomdav links on
// goos/goarch and returns the first error.
func typecheck(goos, goarch string) error {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \"\t\"}}{{end}}", "./cmd/atomdav")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	// The source importer selects files by build.Default.
	build.Default.GOOS, build.Default.GOARCH, build.Default.CgoEnabled = goos, goarch, false
	fset := token.NewFileSet()
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || !strings.HasPrefix(f[0], "github.com/atomdav/atomdav/") {
			continue
		}
		var files []*ast.File
		for _, name := range f[2:] {
			file, err := parser.ParseFile(fset, filepath.Join(f[1], name), nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files = append(files, file)
		}
		if _, err := conf.Check(f[0], fset, files, nil); err != nil {
			return err
		}
	}
	return nil
}

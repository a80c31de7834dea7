package dav

import (
	"bufio"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/atomdav/atomdav/storage/localfs"
)

// The share's file system is the handlers' door to the disk.
var _ FileSystem = (*localfs.FS)(nil)

// diskPackages are the packages whose functions reach the disk (or the
// kernel) directly. Their types, constants and variables are fine
// (os.FileMode, fs.DirEntry, syscall.ENOTDIR, os.ErrDeadlineExceeded):
// only their functions open a way around the jail.
var diskPackages = []string{"os", "syscall", "golang.org/x/sys/unix", "io/ioutil"}

// diskAllowed lists the calls into diskPackages that internal/dav may
// still make, as "file: function: package.Name", each with its reason.
// An entry that no longer matches a call fails the test, so the list only
// shrinks.
var diskAllowed = map[string]string{}

// TestDiskOnlyThroughFileSystem holds internal/dav to DESIGN §3: it
// touches the disk only through storage/localfs (Config.FS, a FileSystem),
// never by calling os, syscall or x/sys/unix itself, so every name it
// reaches has passed the jail.
func TestDiskOnlyThroughFileSystem(t *testing.T) {
	funcs := map[string]map[string]bool{}
	for _, p := range diskPackages {
		funcs[p] = packageFuncs(t, p)
	}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, name := range pkg.GoFiles {
		for _, use := range diskUses(t, name, funcs) {
			found[use.key] = true
			if _, ok := diskAllowed[use.key]; !ok {
				t.Errorf("%s: internal/dav calls %s; go through Config.FS (a method of storage/localfs) instead", use.pos, use.callee)
			}
		}
	}
	for key := range diskAllowed {
		if !found[key] {
			t.Errorf("diskAllowed lists %q, which no longer occurs: remove it", key)
		}
	}
}

// diskUse is one reference to a function of a disk package.
type diskUse struct {
	key    string // "file: function: package.Name", as in diskAllowed
	callee string
	pos    token.Position
}

// diskUses finds the references to the functions funcs lists (by import
// path) in the Go file name.
func diskUses(t *testing.T, name string, funcs map[string]map[string]bool) []diskUse {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]string{} // the name a file gives a disk package → its path
	for _, spec := range file.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		if funcs[p] == nil {
			continue
		}
		n := p[strings.LastIndex(p, "/")+1:]
		if spec.Name != nil {
			n = spec.Name.Name
		}
		if n == "." {
			t.Errorf("%s: dot import of %s hides its calls", fset.Position(spec.Pos()), p)
		}
		local[n] = p
	}
	var uses []diskUse
	for _, decl := range file.Decls {
		fn := declName(decl)
		ast.Inspect(decl, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok || local[id.Name] == "" || !funcs[local[id.Name]][sel.Sel.Name] {
				return true
			}
			callee := id.Name + "." + sel.Sel.Name
			uses = append(uses, diskUse{key: name + ": " + fn + ": " + callee, callee: callee, pos: fset.Position(sel.Pos())})
			return true
		})
	}
	return uses
}

// declName names a top-level declaration: "F", "T.M" for a method, "var"
// or another keyword for the rest.
func declName(decl ast.Decl) string {
	d, ok := decl.(*ast.FuncDecl)
	if !ok {
		return decl.(*ast.GenDecl).Tok.String()
	}
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	typ := d.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + d.Name.Name
	}
	return d.Name.Name
}

// packageFuncs returns the exported package-level functions of the
// package at import path p, as built for this platform.
func packageFuncs(t *testing.T, p string) map[string]bool {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := build.Default.Import(p, wd, 0)
	if err != nil {
		t.Fatalf("locating %s: %v", p, err)
	}
	funcs := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range pkg.GoFiles {
		file, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			if d, ok := decl.(*ast.FuncDecl); ok && d.Recv == nil && d.Name.IsExported() {
				funcs[d.Name.Name] = true
			}
		}
	}
	if len(funcs) == 0 {
		t.Fatalf("no functions found in %s", p)
	}
	return funcs
}

// TestPublicPackagesStandAlone holds proppatch and storage (with their
// sub-packages) to DESIGN §3: neither imports the other, directly or
// through another package of the module, and neither imports anything
// under internal/, so each can be used without the other or the server.
func TestPublicPackagesStandAlone(t *testing.T) {
	root, module := moduleRoot(t)
	deps := func(top string) map[string]string { // package reached → a package importing it
		reached := map[string]string{}
		var visit func(dir, from string)
		visit = func(dir, from string) {
			pkg, err := build.ImportDir(dir, 0)
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			for _, imp := range pkg.Imports {
				rel, ok := strings.CutPrefix(imp, module+"/")
				if !ok {
					continue
				}
				if _, seen := reached[rel]; !seen {
					reached[rel] = from
					visit(filepath.Join(root, filepath.FromSlash(rel)), rel)
				}
			}
		}
		for _, rel := range modulePackages(t, root, top) {
			visit(filepath.Join(root, filepath.FromSlash(rel)), rel)
		}
		return reached
	}
	within := func(p, top string) bool { return p == top || strings.HasPrefix(p, top+"/") }
	for _, tc := range []struct{ top, other string }{{"proppatch", "storage"}, {"storage", "proppatch"}} {
		for p, from := range deps(tc.top) {
			if within(p, tc.other) || within(p, "internal") {
				t.Errorf("%s/… reaches %s (imported by %s); DESIGN §3 keeps proppatch and storage apart and free of internal/", tc.top, p, from)
			}
		}
	}
}

// moduleRoot finds the folder holding go.mod above the working directory
// and the module's path.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(sc.Text(), "module "); ok {
					return dir, strings.TrimSpace(m)
				}
			}
			t.Fatal("go.mod names no module")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = parent
	}
}

// modulePackages lists the packages (module-relative import paths) in the
// folder top of the module at root and below it, testdata excepted.
func modulePackages(t *testing.T, root, top string) []string {
	t.Helper()
	var pkgs []string
	err := filepath.WalkDir(filepath.Join(root, top), func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if _, err := build.ImportDir(dir, 0); err == nil {
			rel, _ := filepath.Rel(root, dir)
			pkgs = append(pkgs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatalf("no packages under %s", top)
	}
	sort.Strings(pkgs)
	return pkgs
}

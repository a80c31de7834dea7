// Command nfpm builds atomdav's Debian package from ../nfpm.yaml with
// nfpm's library (github.com/goreleaser/nfpm/v2), linking only its deb
// packager: `make deb` runs it. It is a module of its own so that nfpm and
// its dependencies stay out of atomdav's go.mod.
//
// Usage: go run . -config ../nfpm.yaml -target OUT.deb
//
// The configuration expands ${VERSION}, ${ARCH} and ${BINARY} from the
// environment, which the Makefile sets; the files it names are relative to
// its own folder.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
)

func main() {
	config := flag.String("config", "nfpm.yaml", "nfpm configuration file")
	target := flag.String("target", "", "package file to write")
	flag.Parse()
	if err := build(*config, *target); err != nil {
		fmt.Fprintln(os.Stderr, "nfpm:", err)
		os.Exit(1)
	}
}

// build writes the deb package that config describes to target; a failed
// build leaves no file behind.
func build(config, target string) (err error) {
	if target == "" {
		return errors.New("-target is required")
	}
	if target, err = filepath.Abs(target); err != nil {
		return err
	}
	if err := os.Chdir(filepath.Dir(config)); err != nil {
		return err
	}
	cfg, err := nfpm.ParseFile(filepath.Base(config))
	if err != nil {
		return err
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return err
	}
	info = nfpm.WithDefaults(info)
	info.Target = target
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return err
	}
	f, err := os.Create(target)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(target)
		}
	}()
	return pkg.Package(info, f)
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// checkState refuses a state folder the share would serve: one that is the
// root or lies inside it, once symlinks are resolved on both, unless it is
// the default ROOT/.atomdav, which the server always hides. The state
// folder may not exist yet: its deepest existing ancestor is resolved.
// root and state are absolute and clean, as bolt will open
// state/state.db ("root/sub/.." is the root).
func checkState(root, state string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	realState, err := realPath(state)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if realState == filepath.Join(realRoot, StateFolder) {
		return nil
	}
	shown := state
	if realState != state {
		shown = fmt.Sprintf("%s (really %s)", state, realState)
	}
	fix := fmt.Sprintf("choose a folder outside it, or leave state empty for the hidden %s", filepath.Join(root, StateFolder))
	switch {
	case realState == realRoot:
		return fmt.Errorf("state: %s is the served folder, so state.db would be served: %s", shown, fix)
	case strings.HasPrefix(realState, realRoot+string(filepath.Separator)) || realRoot == string(filepath.Separator):
		return fmt.Errorf("state: %s is inside the served folder %s, so state.db would be served: %s", shown, root, fix)
	}
	return nil
}

// realPath is filepath.EvalSymlinks of the path p, which need not exist:
// its deepest existing ancestor is resolved and the missing rest appended.
// A dangling symlink on the way is an error, as creating the folder would
// fail or land wherever it points.
func realPath(p string) (string, error) {
	rest := ""
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if _, lerr := os.Lstat(p); lerr == nil {
			return "", fmt.Errorf("%s is a symlink to nothing", p)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", err
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

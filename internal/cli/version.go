package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set at build time: `make build` passes -ldflags
// "-X github.com/atomdav/atomdav/internal/cli.version=$(git describe) -X
// …cli.commit=$(git rev-parse --short=12 HEAD)".
var version, commit = "", ""

func newVersionCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit it was built from and the Go release",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(s.out, versionLine())
			return err
		},
	}
}

// versionLine is "atomdav VERSION (COMMIT, GO)": VERSION as the Makefile
// set it, else the module version `go install …@vX` records, else
// "devel"; COMMIT as the Makefile set it, else as the go command stamps it
// when building from a git checkout (12 digits, "+modified" for
// uncommitted changes), left out when neither did (a build outside the
// repository, or with -buildvcs=false).
func versionLine() string {
	v, c := version, commit
	bi, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "devel"
		if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	if ok && c == "" {
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				c = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if c != "" && modified {
			c += "+modified"
		}
	}
	if c == "" {
		return fmt.Sprintf("atomdav %s (%s)", v, runtime.Version())
	}
	return fmt.Sprintf("atomdav %s (%s, %s)", v, c, runtime.Version())
}

package cli

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// streams are where commands read and write; tests replace them.
type streams struct {
	out, err io.Writer
}

// Run executes the command line args (without the program name).
func Run(ctx context.Context, args []string) error {
	cmd := newRootCmd(streams{out: os.Stdout, err: os.Stderr})
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "atomdav",
		Short:         "A WebDAV file server whose PROPPATCH is atomic and durable",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.AddCommand(newServeCmd(s), newCheckCmd(s), newChangesCmd(s), newConfigCmd(s), newUserCmd(s), newVersionCmd(s), newHealthcheckCmd(s))
	return root
}

package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/atomdav/atomdav/internal/config"
)

func newConfigCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Configuration helpers",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "example",
		Short: "Print an annotated configuration file with every key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := io.WriteString(s.out, config.Example)
			return err
		},
	})
	return cmd
}

package cli

import (
	"fmt"
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
	cmd.AddCommand(newConfigCheckCmd(s))
	return cmd
}

// newConfigCheckCmd is config check: serve's loading and validation
// without serving, for a new or edited file before a restart.
func newConfigCheckCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Check a configuration as serve would (same flags), exit non-zero on any fault",
		Long: "check loads the file, the ATOMDAV_* variables and the flags exactly as serve does and\n" +
			"validates them: an unknown key, a value of the wrong kind or an invalid setting is\n" +
			"reported with its key (and line) and makes it exit non-zero. It neither listens nor\n" +
			"opens the store.",
		Example: "  atomdav config check --config /etc/atomdav.yaml",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, args)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.out, "ok: serving %s, state in %s, %d users\n", cfg.Root, cfg.State, len(cfg.Users))
			return err
		},
	}
	addConfigFlags(cmd)
	return cmd
}

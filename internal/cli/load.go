package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/atomdav/atomdav/internal/config"
)

// addConfigFlags registers on cmd the flags of every option (--config
// included), so that each command reading the configuration accepts the
// same ones.
func addConfigFlags(cmd *cobra.Command) {
	config.AddFlags(cmd.Flags(), config.Default())
}

// loadConfig is the configuration every command runs with: file,
// environment and flags (config.Load), then DIR, then Validate. serve,
// serve --print-config and config check all go through it, so they accept
// and refuse exactly the same configurations; check goes through
// loadOfflineConfig.
func loadConfig(cmd *cobra.Command, args []string) (config.Config, error) {
	return load(cmd, args, (*config.Config).Validate)
}

// loadOfflineConfig is loadConfig for a command that opens the store
// without serving: the same sources and checks, but no way in (users or
// anonymous) is required.
func loadOfflineConfig(cmd *cobra.Command, args []string) (config.Config, error) {
	return load(cmd, args, (*config.Config).ValidateOffline)
}

// load merges the sources (config.Load), sets the root (DIR when given,
// else the configured root, else the current directory) and validates the
// result with validate.
func load(cmd *cobra.Command, args []string, validate func(*config.Config) error) (config.Config, error) {
	cfg, err := config.Load(cmd.Flags(), os.Environ())
	if err != nil {
		return config.Config{}, err
	}
	if len(args) == 1 {
		cfg.Root = args[0]
	} else if cfg.Root == "" {
		cfg.Root = "."
	}
	if err := validate(&cfg); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}

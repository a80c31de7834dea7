package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/internal/server"
)

func newServeCmd(s streams) *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve DIR (default: the configured root, else the current directory) over WebDAV",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, args)
			if err != nil {
				return err
			}
			if printConfig {
				return writeConfig(s.out, cfg)
			}
			srv, err := server.New(cfg, newLogger(s.err, cfg))
			if err != nil {
				return err
			}
			return srv.Serve(cmd.Context())
		},
	}
	config.AddFlags(cmd.Flags(), config.Default())
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "check the configuration as serve does, print it (secrets redacted) and exit")
	return cmd
}

// loadConfig is the configuration serve runs with: file, environment and
// flags (config.Load), then DIR, then Validate. serve, serve
// --print-config and config check all go through it, so they accept and
// refuse exactly the same configurations.
func loadConfig(cmd *cobra.Command, args []string) (config.Config, error) {
	cfg, err := config.Load(cmd.Flags(), os.Environ())
	if err != nil {
		return config.Config{}, err
	}
	if len(args) == 1 {
		cfg.Root = args[0]
	} else if cfg.Root == "" {
		cfg.Root = "."
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}

// newLogger builds the one logger, in the configured level and format.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel)) // validated
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// writeConfig prints cfg as YAML with password hashes redacted.
func writeConfig(w io.Writer, cfg config.Config) error {
	users := make([]config.User, len(cfg.Users))
	for i, u := range cfg.Users {
		u.Hash = "<redacted>"
		users[i] = u
	}
	cfg.Users = users
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("print-config: %w", err)
	}
	_, err = w.Write(out)
	return err
}

package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

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
			srv.SetConfigSource(func() (config.Config, error) { return loadConfig(cmd, args) }, configPath(cmd))
			return srv.Serve(cmd.Context())
		},
	}
	addConfigFlags(cmd)
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "check the configuration as serve does, print it (secrets redacted) and exit")
	return cmd
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
	if name, _, ok := strings.Cut(cfg.User, ":"); ok {
		cfg.User = name + ":<redacted>"
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("print-config: %w", err)
	}
	_, err = w.Write(out)
	return err
}

// configPath is the configuration file serve reads: --config, else
// ATOMDAV_CONFIG, else none.
func configPath(cmd *cobra.Command) string {
	if p, _ := cmd.Flags().GetString("config"); p != "" {
		return p
	}
	return os.Getenv(config.EnvPrefix + "CONFIG")
}

package cli

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/atomdav/atomdav/internal/server"
)

func newServeCmd(s streams) *cobra.Command {
	cfg := server.DefaultConfig()
	var level string
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve DIR (default: the current directory) over WebDAV",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Root = "."
			if len(args) == 1 {
				cfg.Root = args[0]
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(level)); err != nil {
				return fmt.Errorf("log-level: %q is not one of debug, info, warn, error", level)
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: lvl}))
			srv, err := server.New(cfg, log)
			if err != nil {
				return err
			}
			return srv.Serve(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (host:port)")
	f.StringVar(&cfg.StateDir, "state", "", "folder of the property store (default DIR/.atomdav)")
	f.StringVar(&cfg.Prefix, "prefix", "", "URL path the share is mounted at, e.g. /dav")
	f.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	f.Int64Var(&cfg.MaxXMLBytes, "max-xml-bytes", cfg.MaxXMLBytes, "largest PROPFIND/PROPPATCH/LOCK body accepted")
	f.Int64Var(&cfg.MaxUploadBytes, "max-upload-bytes", 0, "largest PUT body accepted (0: no limit)")
	f.DurationVar(&cfg.MaxLockTimeout, "max-lock-timeout", cfg.MaxLockTimeout, "longest a WebDAV lock lasts without a refresh (Timeout: Infinite included)")
	f.BoolVar(&cfg.AllowInfiniteDepth, "allow-infinite-depth", false, "allow PROPFIND with Depth: infinity")
	return cmd
}

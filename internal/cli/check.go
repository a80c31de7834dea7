package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/atomdav/atomdav/internal/server"
	"github.com/atomdav/atomdav/storage/localfs"
)

// errInconsistent makes check exit non-zero without printing twice.
var errInconsistent = fmt.Errorf("store and tree are inconsistent (run with --repair to fix)")

func newCheckCmd(s streams) *cobra.Command {
	var repair bool
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Verify the property store against the tree (stop the server first)",
		Long: "check reports unfinished MOVE/COPY/DELETE intents, properties of resources that no\n" +
			"longer exist and leftover temp files; with --repair it fixes them. It exits 0 only\n" +
			"when the store and the tree are consistent. It reads the configuration as serve\n" +
			"does (--config, ATOMDAV_* variables, the same flags) and checks the store serve\n" +
			"would open: the embedded one in the state folder, or the PostgreSQL one of --store.",
		Example: "  atomdav check /srv/webdav\n  atomdav check --config /etc/atomdav.yaml --repair",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadOfflineConfig(cmd, args)
			if err != nil {
				return err
			}
			report, err := server.Check(cmd.Context(), cfg, repair, progressBar(s.err))
			if err != nil {
				return err
			}
			printReport(s.out, report, repair)
			if !report.Consistent() {
				return errInconsistent
			}
			return nil
		},
	}
	addConfigFlags(cmd)
	cmd.Flags().BoolVar(&repair, "repair", false, "fix what is found")
	return cmd
}

func printReport(w io.Writer, r *localfs.Report, repaired bool) {
	fmt.Fprintf(w, "resources with properties: %d\n", r.Resources)
	fmt.Fprintf(w, "unfinished intents:        %d\n", len(r.Intents))
	for _, in := range r.Intents {
		fmt.Fprintf(w, "  %s %s %s\n", in.Op, in.Src, in.Dst)
	}
	fmt.Fprintf(w, "unapplied live properties: %d\n", len(r.Live))
	for _, l := range r.Live {
		fmt.Fprintf(w, "  %s %s\n", l.Path, l.Name.Local)
	}
	fmt.Fprintf(w, "orphaned properties:       %d\n", len(r.Orphans))
	for _, p := range r.Orphans {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintf(w, "leftover temp files:       %d\n", len(r.TempFiles))
	for _, p := range r.TempFiles {
		fmt.Fprintf(w, "  %s\n", p)
	}
	switch {
	case r.Consistent() && repaired:
		fmt.Fprintln(w, "consistent (after repair)")
	case r.Consistent():
		fmt.Fprintln(w, "consistent")
	default:
		fmt.Fprintln(w, "INCONSISTENT")
	}
}

// progressBar draws a counter on a terminal; elsewhere it stays silent.
func progressBar(w io.Writer) func(int) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(n int) {
		if n%1000 == 0 {
			fmt.Fprintf(f, "\rchecked %d resources…", n)
		}
	}
}

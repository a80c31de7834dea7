package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/atomdav/atomdav/internal/server"
	"github.com/atomdav/atomdav/storage"
)

func newChangesCmd(s streams) *cobra.Command {
	var since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "changes [DIR]",
		Short: "Print the change journal since a sync-token, for scripts",
		Long: "changes prints the entries of the change journal (what the sync-collection REPORT\n" +
			"answers from) after the sync-token --since, oldest first, one a line, then the token\n" +
			"to pass next time. Without --since it prints only the current token. It opens the\n" +
			"store as check does (stop the server first, unless the store is PostgreSQL).\n" +
			"Text lines read: SEQ upsert|removed file|dir PATH; with --json, each line is a JSON\n" +
			"object, the last one {\"sync_token\": …}.",
		Example: "  tok=$(atomdav changes /srv/webdav)\n  atomdav changes /srv/webdav --since \"$tok\" --json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadOfflineConfig(cmd, args)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(s.out)
			next, err := server.Changes(cmd.Context(), cfg, since, func(c storage.Change) error {
				if asJSON {
					return enc.Encode(changeJSON(c))
				}
				_, err := fmt.Fprintf(s.out, "%d %s %s %s\n", c.Seq, kindName(c.Kind), typeName(c.Dir), c.Path)
				return err
			})
			if err != nil {
				return err
			}
			if asJSON {
				return enc.Encode(map[string]string{"sync_token": next})
			}
			_, err = fmt.Fprintln(s.out, next)
			return err
		},
	}
	addConfigFlags(cmd)
	cmd.Flags().StringVar(&since, "since", "", "the sync-token to print the changes after (empty: print the current token)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	return cmd
}

// changeJSON is one journal entry as --json prints it.
func changeJSON(c storage.Change) map[string]any {
	m := map[string]any{"seq": c.Seq, "kind": kindName(c.Kind), "path": c.Path, "dir": c.Dir,
		"time": time.Unix(0, c.UnixNs).UTC().Format(time.RFC3339Nano)}
	if c.Kind == storage.ChangeUpsert && !c.Dir {
		m["size"] = c.Size
	}
	if c.Subtree {
		m["subtree"] = true
	}
	return m
}

func kindName(k storage.ChangeKind) string {
	if k == storage.ChangeRemoved {
		return "removed"
	}
	return "upsert"
}

func typeName(dir bool) string {
	if dir {
		return "dir"
	}
	return "file"
}

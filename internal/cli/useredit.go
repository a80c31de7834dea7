package cli

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/crypto/bcrypt"

	"github.com/atomdav/atomdav/internal/config"
	"github.com/atomdav/atomdav/internal/htpasswd"
)

// errNoUsersFile means user add/remove/list was not told which file to
// edit.
var errNoUsersFile = errors.New("no users file: pass --users-file FILE, or --config FILE with users-file in it")

// addUsersFileFlags registers --users-file and --config on cmd.
func addUsersFileFlags(cmd *cobra.Command) {
	cmd.Flags().String("users-file", "", "the Apache htpasswd file to edit (default: users-file of the configuration)")
	cmd.Flags().String("config", "", "YAML configuration file whose users-file to edit")
}

// usersFile is the file user add/remove/list work on: --users-file, else
// the users-file key of the configuration (--config or ATOMDAV_CONFIG,
// ATOMDAV_USERS_FILE), read as serve reads it.
func usersFile(cmd *cobra.Command) (string, error) {
	fs := pflag.NewFlagSet("users", pflag.ContinueOnError)
	fs.String("config", "", "")
	fs.String("users-file", "", "")
	for _, name := range []string{"config", "users-file"} {
		if f := cmd.Flags().Lookup(name); f.Changed {
			_ = fs.Set(name, f.Value.String())
		}
	}
	cfg, err := config.Load(fs, os.Environ())
	if err != nil {
		return "", err
	}
	if cfg.UsersFile == "" {
		return "", errNoUsersFile
	}
	return cfg.UsersFile, nil
}

func newUserAddCmd(s streams) *cobra.Command {
	var readOnly bool
	var root string
	var cost int
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user to the users file (bcrypt), asking for the password",
		Long: "Add a user to the users file, an Apache htpasswd file, with the bcrypt hash of a password.\n" +
			"On a terminal the password is asked twice and not shown; otherwise it is the first line of standard input.\n" +
			"The file is replaced atomically, under a lock, keeping its other lines; a running server picks the user up.",
		Example: "  atomdav user add alice --users-file /etc/atomdav/users\n" +
			"  atomdav user add guest --read-only --root /public --config /etc/atomdav/atomdav.yaml\n" +
			"  printf '%s\\n' \"$PASSWORD\" | atomdav user add bob --users-file users",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e := htpasswd.Entry{Name: args[0], Root: root, ReadOnly: readOnly}
			if err := checkNewUser(e, cost); err != nil {
				return err
			}
			file, err := usersFile(cmd)
			if err != nil {
				return fmt.Errorf("user add: %w", err)
			}
			password, err := readPassword(cmd.InOrStdin(), s.err)
			if err != nil {
				return fmt.Errorf("user add: %w", err)
			}
			hash, err := bcrypt.GenerateFromPassword(password, cost)
			if errors.Is(err, bcrypt.ErrPasswordTooLong) {
				return errors.New("user add: the password is longer than 72 bytes, more than bcrypt reads")
			}
			if err != nil {
				return fmt.Errorf("user add: %w", err)
			}
			e.Hash = string(hash)
			err = htpasswd.Edit(file, func(data []byte) ([]byte, error) { return htpasswd.Add(data, e) })
			if err != nil {
				return fmt.Errorf("user add: %s: %w", file, err)
			}
			_, err = fmt.Fprintf(s.out, "added %s to %s\n", e.Name, file)
			return err
		},
	}
	addUsersFileFlags(cmd)
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "the user may only read")
	cmd.Flags().StringVar(&root, "root", "", "the folder of the share the user sees as / (default: all of it)")
	cmd.Flags().IntVar(&cost, "cost", defaultCost, "bcrypt cost: each step doubles the time a check takes")
	return cmd
}

// checkNewUser refuses what the users file cannot hold before a password
// is asked for.
func checkNewUser(e htpasswd.Entry, cost int) error {
	if err := htpasswd.CheckName(e.Name); err != nil {
		return fmt.Errorf("user add: %q: %w", e.Name, err)
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return fmt.Errorf("user add: --cost %d is not between %d and %d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if e.Root != "" && (!strings.HasPrefix(e.Root, "/") || path.Clean(e.Root) != e.Root || strings.ContainsAny(e.Root, ",:") || strings.TrimSpace(e.Root) != e.Root) {
		return fmt.Errorf("user add: --root %q must be a clean path starting with / without ',' or ':' (give such a root in the config file's users)", e.Root)
	}
	return nil
}

func newUserRemoveCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user from the users file",
		Long: "Remove a user from the users file, replacing it atomically, under a lock, keeping its other lines.\n" +
			"A running server refuses the user from its next request.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := usersFile(cmd)
			if err != nil {
				return fmt.Errorf("user remove: %w", err)
			}
			err = htpasswd.Edit(file, func(data []byte) ([]byte, error) { return htpasswd.Remove(data, args[0]) })
			if err != nil {
				return fmt.Errorf("user remove: %s: %w", file, err)
			}
			_, err = fmt.Fprintf(s.out, "removed %s from %s\n", args[0], file)
			return err
		},
	}
	addUsersFileFlags(cmd)
	return cmd
}

func newUserListCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the users of the users file: name, root, access and hash scheme (never the hash)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := usersFile(cmd)
			if err != nil {
				return fmt.Errorf("user list: %w", err)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("user list: %w", err)
			}
			entries, err := htpasswd.Parse(data)
			if err != nil {
				return fmt.Errorf("user list: %s: %w", file, err)
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROOT\tACCESS\tHASH")
			for _, e := range entries {
				root, access, scheme := e.Root, "read-write", e.Scheme.Name
				if root == "" {
					root = "/"
				}
				if e.ReadOnly {
					access = "read-only"
				}
				if e.Scheme.Weak {
					scheme += " (weak)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, root, access, scheme)
			}
			return tw.Flush()
		},
	}
	addUsersFileFlags(cmd)
	return cmd
}

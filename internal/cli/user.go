package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

// defaultCost is the bcrypt cost of new hashes: about a quarter of a
// second on a current core, and verified once a minute per client thanks
// to the server's cache.
const defaultCost = 12

var (
	errEmptyPassword = errors.New("empty password refused")
	errMismatch      = errors.New("the passwords do not match")
)

func newUserCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the users: hash a password, add, remove or list the users of a users file",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newUserHashCmd(s), newUserAddCmd(s), newUserRemoveCmd(s), newUserListCmd(s))
	return cmd
}

func newUserHashCmd(s streams) *cobra.Command {
	var cost int
	cmd := &cobra.Command{
		Use:   "hash",
		Short: "Print the bcrypt hash of a password, for the hash key of a user",
		Long: "Print the bcrypt hash of a password, for the hash key of a user in the config file.\n" +
			"On a terminal the password is asked twice and not shown; otherwise it is the first line of standard input.",
		Example: "  atomdav user hash\n  printf '%s\\n' \"$PASSWORD\" | atomdav user hash --cost 14",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
				return fmt.Errorf("user hash: --cost %d is not between %d and %d", cost, bcrypt.MinCost, bcrypt.MaxCost)
			}
			password, err := readPassword(cmd.InOrStdin(), s.err)
			if err != nil {
				return fmt.Errorf("user hash: %w", err)
			}
			hash, err := bcrypt.GenerateFromPassword(password, cost)
			if errors.Is(err, bcrypt.ErrPasswordTooLong) {
				return errors.New("user hash: the password is longer than 72 bytes, more than bcrypt reads")
			}
			if err != nil {
				return fmt.Errorf("user hash: %w", err)
			}
			_, err = fmt.Fprintf(s.out, "%s\n", hash)
			return err
		},
	}
	cmd.Flags().IntVar(&cost, "cost", defaultCost, "bcrypt cost: each step doubles the time a check takes")
	return cmd
}

// readPassword asks for the password twice without echo when in is a
// terminal (prompting on prompt), and otherwise reads the first line of in.
// An empty password is refused.
func readPassword(in io.Reader, prompt io.Writer) ([]byte, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return askTwice(int(f.Fd()), prompt)
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading the password: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return nil, errEmptyPassword
	}
	return []byte(line), nil
}

func askTwice(fd int, prompt io.Writer) ([]byte, error) {
	ask := func(label string) ([]byte, error) {
		fmt.Fprint(prompt, label)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return nil, fmt.Errorf("reading the password: %w", err)
		}
		return p, nil
	}
	first, err := ask("Password: ")
	if err != nil {
		return nil, err
	}
	if len(first) == 0 {
		return nil, errEmptyPassword
	}
	second, err := ask("Repeat it: ")
	if err != nil {
		return nil, err
	}
	if string(first) != string(second) {
		return nil, errMismatch
	}
	return first, nil
}

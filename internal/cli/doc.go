// Package cli is atomdav's command line: one file per command, the cobra
// root built by newRootCmd with no globals. Run is the entry point main
// calls.
package cli

// Package cli is atomdav's command line: one file per command, the cobra
// root built by newRootCmd with no globals. Run is the entry point main
// calls. load.go is the one configuration loader: serve, config check and
// check register the same flags (addConfigFlags) and read the file, the
// ATOMDAV_* variables and the flags through it, so no command runs with a
// configuration another would refuse. user add, remove and list
// (useredit.go) edit the users file (internal/htpasswd does the atomic,
// locked replace); they read only which file it is from the configuration.
package cli

// Package config is atomdav's configuration: the Config struct, its
// defaults, loading from a YAML file, ATOMDAV_* environment variables and
// command-line flags with one precedence (flags > environment > file >
// defaults), and validation with errors that name the key at fault.
//
// Every key has the same name in all three places: the YAML key
// "max-upload-bytes" is the flag --max-upload-bytes and the variable
// ATOMDAV_MAX_UPLOAD_BYTES. Lists in variables are comma-separated. Users
// and per-path rules are configured in the file only; Validate refuses a
// rule whose path is not clean and absolute, whose access is not none,
// read or write, or whose path appears twice in one list, and a hide
// pattern path.Match cannot use. Every command that reads the
// configuration loads it the same way; serve validates it with Validate,
// and check, which opens the store without serving, with ValidateOffline:
// the same checks but for requiring a way in (users or anonymous).
//
// # Security
//
// A typo must not quietly weaken a setting ("readonly: true" leaving a
// user writable), so the file and the variables are strict. The known keys
// are the koanf tags of Config and User, read by reflection: an option
// added there is known everywhere. Load refuses, naming the key, its line
// and the key meant when one is close:
//   - a key no option has, at any level, and a key set twice;
//   - an ATOMDAV_ variable no option has, except ATOMDAV_CONFIG and the
//     test knobs ATOMDAV_TEST_*, ATOMDAV_BENCH_* and ATOMDAV_ARTIFACTS;
//   - a duration time.ParseDuration refuses: "5" has no unit and would
//     otherwise be 5ns ("0" is accepted);
//   - a fraction, an exponent or text for a whole number, or one out of
//     range;
//   - a boolean other than true or false (any case): yes, no, on and off
//     were booleans in YAML 1.1 and are strings in YAML 1.2, so what they
//     mean depends on the reader;
//   - a number or boolean where text is expected (quote it), a scalar
//     where a list is expected, and more than one YAML document.
//
// The example (config example) configures no account as printed: its
// users' hashes are placeholders Validate refuses, as it refuses the hash
// older examples printed for every user.
//
// AllUsers merges the users of the file, of the users-file (an htpasswd
// file, parsed by internal/htpasswd: plain-text and DES lines are refused
// naming file:line) and of the user key; a name given a hash in two
// places is refused rather than one silently winning.
//
// The state folder holds the store: ValidatePaths refuses one the share
// would serve, comparing real paths (symlinks resolved, the deepest
// existing ancestor of a folder not made yet): the root itself under any
// alias (a symlink, "sub/..") or any folder inside it, except the default
// ROOT/.atomdav. HiddenName is always that name, so the server hides it
// whatever the state folder, even one an earlier configuration left.
package config

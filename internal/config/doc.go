// Package config is atomdav's configuration: the Config struct, its
// defaults, loading from a YAML file, ATOMDAV_* environment variables and
// command-line flags with one precedence (flags > environment > file >
// defaults), and validation with errors that name the key at fault.
//
// Every key has the same name in all three places: the YAML key
// "max-upload-bytes" is the flag --max-upload-bytes and the variable
// ATOMDAV_MAX_UPLOAD_BYTES. Lists in variables are comma-separated. Users
// are configured in the file only.
package config

package config

import _ "embed"

// Example is an annotated configuration file with every key.
//
//go:embed example.yaml
var Example string

package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StateFolder is the default state folder's name inside the served root.
const StateFolder = ".atomdav"

// Config is everything a Server needs. Fill it, call Validate, then New.
type Config struct {
	// Root is the directory to serve.
	Root string
	// Addr is the TCP listen address.
	Addr string
	// StateDir holds the property store; empty means Root/.atomdav.
	StateDir string
	// Prefix is the URL path the share is mounted at, for reverse proxies.
	Prefix string
	// MaxXMLBytes bounds XML request bodies (default 1 MiB).
	MaxXMLBytes int64
	// MaxUploadBytes bounds PUT bodies; 0 means no limit.
	MaxUploadBytes int64
	// AllowInfiniteDepth allows PROPFIND with Depth: infinity.
	AllowInfiniteDepth bool
	// MaxLockTimeout caps the timeout of a WebDAV lock (Infinite too).
	MaxLockTimeout time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests at shutdown.
	ShutdownTimeout time.Duration
}

// DefaultConfig returns the defaults the CLI starts from.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		MaxXMLBytes:     1 << 20,
		ShutdownTimeout: 30 * time.Second,
		MaxLockTimeout:  24 * time.Hour,
	}
}

// Validate checks the configuration and fills in derived defaults; errors
// name the setting at fault.
func (c *Config) Validate() error {
	if c.Root == "" {
		return errors.New("root: a directory to serve is required")
	}
	root, err := filepath.Abs(c.Root)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("root: %s does not exist", c.Root)
	}
	if !fi.IsDir() {
		return fmt.Errorf("root: %s is not a directory", c.Root)
	}
	c.Root = root
	if c.StateDir == "" {
		c.StateDir = filepath.Join(root, StateFolder)
	}
	if c.StateDir, err = filepath.Abs(c.StateDir); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if rel, err := filepath.Rel(root, c.StateDir); err == nil && !strings.HasPrefix(rel, "..") && strings.Contains(rel, string(filepath.Separator)) {
		return fmt.Errorf("state: %s must be outside the root or directly in it", c.StateDir)
	}
	if c.Prefix != "" && !strings.HasPrefix(c.Prefix, "/") {
		return fmt.Errorf("prefix: %q must start with /", c.Prefix)
	}
	if c.Addr == "" {
		return errors.New("addr: a listen address is required")
	}
	if c.MaxXMLBytes <= 0 {
		return errors.New("max-xml-bytes: must be positive")
	}
	if c.MaxLockTimeout < time.Second {
		return errors.New("max-lock-timeout: must be at least 1s")
	}
	if c.MaxUploadBytes < 0 {
		return errors.New("max-upload-bytes: must not be negative")
	}
	return nil
}

// hiddenName is the state folder's name when it lies directly in the root.
func (c *Config) hiddenName() string {
	if filepath.Dir(c.StateDir) == c.Root {
		return filepath.Base(c.StateDir)
	}
	return ""
}

package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/atomdav/atomdav/proppatch"
)

// StateFolder is the default state folder's name inside the served root.
const StateFolder = ".atomdav"

// Config is everything atomdav serve needs. Load fills it; Validate checks
// it and derives what follows (absolute paths, the state folder).
type Config struct {
	Root              string        `koanf:"root" yaml:"root"`
	Addr              string        `koanf:"addr" yaml:"addr"`
	State             string        `koanf:"state" yaml:"state"`
	Store             string        `koanf:"store" yaml:"store"`
	Prefix            string        `koanf:"prefix" yaml:"prefix"`
	LogLevel          string        `koanf:"log-level" yaml:"log-level"`
	LogFormat         string        `koanf:"log-format" yaml:"log-format"`
	MaxXMLBytes       int64         `koanf:"max-xml-bytes" yaml:"max-xml-bytes"`
	MaxUploadBytes    int64         `koanf:"max-upload-bytes" yaml:"max-upload-bytes"`
	MaxLockTimeout    time.Duration `koanf:"max-lock-timeout" yaml:"max-lock-timeout"`
	MaxLockOwnerBytes int64         `koanf:"max-lock-owner-bytes" yaml:"max-lock-owner-bytes"`
	// MaxLocksPerResource and MaxLocksPerPrincipal bound the live locks
	// rooted at one resource and held by one user (anonymous is one);
	// 0 is no limit.
	MaxLocksPerResource  int           `koanf:"max-locks-per-resource" yaml:"max-locks-per-resource"`
	MaxLocksPerPrincipal int           `koanf:"max-locks-per-principal" yaml:"max-locks-per-principal"`
	UploadIdleTimeout    time.Duration `koanf:"upload-idle-timeout" yaml:"upload-idle-timeout"`
	UploadMinRate        int64         `koanf:"upload-min-rate" yaml:"upload-min-rate"` // bytes/s over UploadIdleTimeout (1m when 0)
	MaxUploads           int           `koanf:"max-uploads" yaml:"max-uploads"`
	MaxUploadsPerUser    int           `koanf:"max-uploads-per-user" yaml:"max-uploads-per-user"` // anonymous is one user
	AllowInfiniteDepth   bool          `koanf:"allow-infinite-depth" yaml:"allow-infinite-depth"`
	MaxConns             int           `koanf:"max-conns" yaml:"max-conns"`
	ReadHeaderTimeout    time.Duration `koanf:"read-header-timeout" yaml:"read-header-timeout"`
	IdleTimeout          time.Duration `koanf:"idle-timeout" yaml:"idle-timeout"`
	ShutdownTimeout      time.Duration `koanf:"shutdown-timeout" yaml:"shutdown-timeout"`
	TLSCert              string        `koanf:"tls-cert" yaml:"tls-cert"`
	TLSKey               string        `koanf:"tls-key" yaml:"tls-key"`
	Anonymous            bool          `koanf:"anonymous" yaml:"anonymous"`
	AnonymousReadOnly    bool          `koanf:"anonymous-read-only" yaml:"anonymous-read-only"`
	Users                []User        `koanf:"users" yaml:"users"`
	AuthHeader           string        `koanf:"auth-header" yaml:"auth-header"`
	TrustedProxies       []string      `koanf:"trusted-proxies" yaml:"trusted-proxies"`
	CORSOrigins          []string      `koanf:"cors-origins" yaml:"cors-origins"`
	AllowedHosts         []string      `koanf:"allowed-hosts" yaml:"allowed-hosts"`
	MetricsAddr          string        `koanf:"metrics-addr" yaml:"metrics-addr"`
	Pprof                bool          `koanf:"pprof" yaml:"pprof"`
	HideOSJunk           bool          `koanf:"hide-os-junk" yaml:"hide-os-junk"`
	Durability           string        `koanf:"durability" yaml:"durability"`
	// NextcloudURLs serves the share at Nextcloud's and ownCloud's URLs
	// too (/remote.php/dav/files/USER/, /remote.php/webdav/, status.php,
	// the OCS capabilities), so their clients' presets work unchanged.
	NextcloudURLs bool `koanf:"nextcloud-urls" yaml:"nextcloud-urls"`
	// Checksums names the digests computed of every upload and reported
	// as oc:checksums (md5, sha1, adler32, sha256, sha512); empty: none.
	Checksums []string `koanf:"checksums" yaml:"checksums"`

	// MaxIfConditions, MaxPropfindProps, MaxRanges and MaxHeaderBytes
	// bound what one request may ask the server to evaluate or answer.
	MaxIfConditions  int `koanf:"max-if-conditions" yaml:"max-if-conditions"`
	MaxPropfindProps int `koanf:"max-propfind-props" yaml:"max-propfind-props"`
	MaxRanges        int `koanf:"max-ranges" yaml:"max-ranges"`
	MaxHeaderBytes   int `koanf:"max-header-bytes" yaml:"max-header-bytes"`

	// SyncJournalRetention and SyncJournalMaxEntries bound the change
	// journal behind the sync-collection REPORT: entries older, or beyond
	// the newest so many, are compacted away hourly, and a sync-token from
	// before them gets 403 valid-sync-token (the client syncs afresh).
	// 0 keeps them.
	SyncJournalRetention  time.Duration `koanf:"sync-journal-retention" yaml:"sync-journal-retention"`
	SyncJournalMaxEntries int64         `koanf:"sync-journal-max-entries" yaml:"sync-journal-max-entries"`
	// MaxSyncResults bounds the members one sync-collection answer holds
	// (507 on a truncated one, with a token to continue from).
	MaxSyncResults int `koanf:"max-sync-results" yaml:"max-sync-results"`

	// MaxPropValueBytes and MaxPropsPerResource bound the dead properties a
	// PROPPATCH may store (507 above them).
	MaxPropValueBytes   int `koanf:"max-prop-value-bytes" yaml:"max-prop-value-bytes"`
	MaxPropsPerResource int `koanf:"max-props-per-resource" yaml:"max-props-per-resource"`

	// MaxXMLDepth bounds the element nesting of a PROPPATCH body (400
	// above), which is parsed recursively.
	MaxXMLDepth int `koanf:"max-xml-depth" yaml:"max-xml-depth"`

	// ChunkedUploadExpiry is how long a chunked upload's folder is kept
	// untouched before it is swept (0: never); MaxChunkedUploadsPerUser
	// and MaxChunkedUploadBytesPerUser bound one user's folders and the
	// bytes in them (0: no limit).
	ChunkedUploadExpiry          time.Duration `koanf:"chunked-upload-expiry" yaml:"chunked-upload-expiry"`
	MaxChunkedUploadsPerUser     int           `koanf:"max-chunked-uploads-per-user" yaml:"max-chunked-uploads-per-user"`
	MaxChunkedUploadBytesPerUser int64         `koanf:"max-chunked-upload-bytes-per-user" yaml:"max-chunked-upload-bytes-per-user"`

	// MaxFailedLogins failed logins from one address within
	// FailedLoginWindow block it (429), so passwords cannot be guessed
	// fast.
	MaxFailedLogins   int           `koanf:"max-failed-logins" yaml:"max-failed-logins"`
	FailedLoginWindow time.Duration `koanf:"failed-login-window" yaml:"failed-login-window"`
}

// User is one account: a bcrypt hash of its password, the folder of the
// share it sees as its root ("/" for all of it) and whether it may write.
type User struct {
	Name     string `koanf:"name" yaml:"name"`
	Hash     string `koanf:"hash" yaml:"hash"`
	Root     string `koanf:"root" yaml:"root"`
	ReadOnly bool   `koanf:"read-only" yaml:"read-only"`
}

// maxXMLDepth is the highest max-xml-depth accepted: parsing recurses that
// deep, and no client nests property values further.
const maxXMLDepth = 10000

// publishedHash is the bcrypt hash 'atomdav config example' used to print
// for every user: anyone who has read the example knows it, so a user
// with it is refused rather than served.
const publishedHash = "$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3k1ZbvQxqRS5XKjJbXBqEzq"

// Default returns the defaults every other source overrides.
func Default() Config {
	return Config{
		Addr:                 "127.0.0.1:8080",
		LogLevel:             "info",
		LogFormat:            "text",
		Durability:           "full",
		NextcloudURLs:        true,
		Checksums:            []string{"md5", "sha1"},
		MaxXMLBytes:          1 << 20,
		MaxLockTimeout:       24 * time.Hour,
		MaxLockOwnerBytes:    4 << 10,
		MaxLocksPerResource:  100,
		MaxLocksPerPrincipal: 1000,
		UploadIdleTimeout:    time.Minute,
		UploadMinRate:        512,
		MaxUploads:           64,
		MaxUploadsPerUser:    16,
		MaxIfConditions:      256,
		MaxPropfindProps:     256,
		MaxRanges:            100,
		MaxHeaderBytes:       64 << 10,
		MaxPropValueBytes:    proppatch.DefaultMaxValueBytes,
		MaxPropsPerResource:  proppatch.DefaultMaxProps,
		MaxXMLDepth:          proppatch.DefaultMaxDepth,
		MaxFailedLogins:      5,
		FailedLoginWindow:    time.Minute,
		ReadHeaderTimeout:    10 * time.Second,
		IdleTimeout:          2 * time.Minute,
		ShutdownTimeout:      30 * time.Second,

		ChunkedUploadExpiry:      24 * time.Hour,
		MaxChunkedUploadsPerUser: 16,

		SyncJournalRetention:  30 * 24 * time.Hour,
		SyncJournalMaxEntries: 1_000_000,
		MaxSyncResults:        10_000,
	}
}

// Validate checks every key, naming the one at fault, and makes Root and
// State absolute (State defaults to Root/.atomdav).
func (c *Config) Validate() error { return c.validate(true) }

// ValidateOffline is Validate for the commands that open the store without
// serving (atomdav check): every key is checked alike, so a typo stops
// them as it stops serve, but no way in (users or anonymous) is required.
func (c *Config) ValidateOffline() error { return c.validate(false) }

// validate is Validate, and ValidateOffline when serving is false.
func (c *Config) validate(serving bool) error {
	if err := c.ValidatePaths(); err != nil {
		return err
	}
	var errs []error
	check := func(ok bool, key, msg string) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", key, msg))
		}
	}
	check(c.Addr != "", "addr", "a listen address is required")
	check(c.Store == "" || strings.HasPrefix(c.Store, "postgres://") || strings.HasPrefix(c.Store, "postgresql://"),
		"store", "must be empty (the embedded store) or a postgres:// URL")
	check(c.Prefix == "" || strings.HasPrefix(c.Prefix, "/"), "prefix", fmt.Sprintf("%q must start with /", c.Prefix))
	check(oneOf(c.LogLevel, "debug", "info", "warn", "error"), "log-level", fmt.Sprintf("%q is not one of debug, info, warn, error", c.LogLevel))
	check(oneOf(c.LogFormat, "text", "json"), "log-format", fmt.Sprintf("%q is not text or json", c.LogFormat))
	check(oneOf(c.Durability, "full", "relaxed"), "durability", fmt.Sprintf("%q is not full or relaxed", c.Durability))
	check(c.MaxXMLBytes > 0, "max-xml-bytes", "must be positive")
	check(c.MaxUploadBytes >= 0, "max-upload-bytes", "must not be negative")
	check(c.MaxLockTimeout >= time.Second, "max-lock-timeout", "must be at least 1s")
	check(c.MaxLocksPerResource >= 0, "max-locks-per-resource", "must not be negative")
	check(c.MaxLocksPerPrincipal >= 0, "max-locks-per-principal", "must not be negative")
	check(c.MaxLockOwnerBytes > 0, "max-lock-owner-bytes", "must be positive")
	check(c.MaxIfConditions > 0, "max-if-conditions", "must be positive")
	check(c.MaxPropfindProps > 0, "max-propfind-props", "must be positive")
	check(c.MaxRanges > 0, "max-ranges", "must be positive")
	check(c.MaxHeaderBytes >= 4<<10, "max-header-bytes", "must be at least 4096")
	check(c.SyncJournalRetention >= 0, "sync-journal-retention", "must not be negative")
	check(c.SyncJournalMaxEntries >= 0, "sync-journal-max-entries", "must not be negative")
	check(c.MaxSyncResults > 0, "max-sync-results", "must be positive")
	check(c.MaxPropValueBytes > 0, "max-prop-value-bytes", "must be positive")
	check(c.MaxPropsPerResource > 0, "max-props-per-resource", "must be positive")
	check(c.MaxXMLDepth > 0 && c.MaxXMLDepth <= maxXMLDepth, "max-xml-depth", fmt.Sprintf("must be between 1 and %d", maxXMLDepth))
	check(c.MaxFailedLogins > 0, "max-failed-logins", "must be positive")
	check(c.FailedLoginWindow >= time.Second, "failed-login-window", "must be at least 1s")
	check(c.UploadIdleTimeout >= 0, "upload-idle-timeout", "must not be negative")
	check(c.UploadMinRate >= 0, "upload-min-rate", "must not be negative")
	check(c.MaxUploads >= 0, "max-uploads", "must not be negative")
	check(c.MaxUploadsPerUser >= 0, "max-uploads-per-user", "must not be negative")
	check(c.ChunkedUploadExpiry >= 0, "chunked-upload-expiry", "must not be negative")
	check(c.MaxChunkedUploadsPerUser >= 0, "max-chunked-uploads-per-user", "must not be negative")
	check(c.MaxChunkedUploadBytesPerUser >= 0, "max-chunked-upload-bytes-per-user", "must not be negative")
	check(c.MaxConns >= 0, "max-conns", "must not be negative")
	check(c.ShutdownTimeout >= 0, "shutdown-timeout", "must not be negative")
	check((c.TLSCert == "") == (c.TLSKey == ""), "tls-cert", "tls-cert and tls-key go together")
	check(c.AuthHeader == "" || len(c.TrustedProxies) > 0, "auth-header", "needs trusted-proxies: the header is believed only from them")
	for _, a := range c.Checksums {
		// the names of dav.ChecksumNames
		check(oneOf(a, "md5", "sha1", "adler32", "sha256", "sha512"), "checksums", fmt.Sprintf("%q is not one of md5, sha1, adler32, sha256, sha512", a))
	}
	for _, p := range c.TrustedProxies {
		check(validCIDR(p), "trusted-proxies", fmt.Sprintf("%q is not an IP address or CIDR", p))
	}
	for _, h := range c.AllowedHosts {
		check(h == "*" || h != "" && !strings.ContainsAny(h, ":/[] *"), "allowed-hosts", fmt.Sprintf("%q is not a host name (without a port or wildcard) or *", h))
	}
	check(c.AuthHeader == "" || len(c.Users) > 0, "auth-header", "names configured users only: add them to users")
	check(!serving || c.Anonymous || len(c.Users) > 0, "users",
		"no users are configured: add users to the config file (see 'atomdav config example') or pass --anonymous")
	seen := map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		check(u.Name != "" && !strings.ContainsAny(u.Name, ":\n"), key+".name", "a name without ':' is required")
		check(c.AuthHeader == "" || !strings.Contains(u.Name, ","), key+".name", "must not contain ',' with auth-header: a header value with a comma is refused as a list")
		check(!seen[u.Name], key+".name", fmt.Sprintf("%q appears twice", u.Name))
		check(strings.HasPrefix(u.Hash, "$2"), key+".hash", "must be a bcrypt hash (make one with 'atomdav user hash')")
		check(u.Hash != publishedHash, key+".hash", "is the sample hash older releases of 'atomdav config example' printed, known to all: make one with 'atomdav user hash'")
		check(u.Root == "" || strings.HasPrefix(u.Root, "/"), key+".root", "must start with /")
		seen[u.Name] = true
	}
	return joinLine(errs)
}

// ValidatePaths checks Root and State alone and makes them absolute. The state folder must lie
// outside the root, or be the default ROOT/.atomdav (see checkState).
func (c *Config) ValidatePaths() error {
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
	if c.State == "" {
		c.State = filepath.Join(root, StateFolder)
	}
	if c.State, err = filepath.Abs(c.State); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return checkState(root, c.State)
}

// HiddenName is the name of the top-level folder of the root the server
// never serves: StateFolder, wherever the state folder is. ValidatePaths
// refuses any other state folder inside the root, and a .atomdav left in
// the root by an earlier configuration may hold an old state.db.
func (c *Config) HiddenName() string { return StateFolder }

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func validCIDR(s string) bool {
	if _, _, err := net.ParseCIDR(s); err == nil {
		return true
	}
	return net.ParseIP(s) != nil
}

package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/atomdav/atomdav/internal/access"
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

	// Hide lists path.Match patterns of base names left out of listings
	// (reachable by name); HideOSJunk adds the OS's.
	Hide []string `koanf:"hide" yaml:"hide"`
	// Rules give everyone, anonymous included, access to paths of the
	// share (YAML only); a user's own Rules beat them.
	Rules []Rule `koanf:"rules" yaml:"rules"`

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

	// MaxZipBytes bounds the file bytes of one folder download as a zip
	// (GET folder/?zip), MaxZips the zips sent at once; 0 is no limit.
	MaxZipBytes int64 `koanf:"max-zip-bytes" yaml:"max-zip-bytes"`
	MaxZips     int   `koanf:"max-zips" yaml:"max-zips"`

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

	// UsersFile is an Apache htpasswd file of more users (see AllUsers);
	// User is one more, "NAME:BCRYPT-HASH", for containers.
	UsersFile string `koanf:"users-file" yaml:"users-file"`
	User      string `koanf:"user" yaml:"user"`

	// AccessLog is where one line per request goes: "" (off: the server
	// log's "request" lines instead), "stderr" or a file, appended to and
	// reopened on SIGHUP. AccessLogFormat is "combined" (Apache's) or "json".
	AccessLog       string `koanf:"access-log" yaml:"access-log"`
	AccessLogFormat string `koanf:"access-log-format" yaml:"access-log-format"`

	// Watch puts an inotify watch on every folder of the share, so that
	// changes made on disk, not through WebDAV, reach the change journal
	// within moments; RescanInterval is the time between full
	// reconciling scans while serving (0: only the one at start), which
	// catch what no watch saw.
	Watch          bool          `koanf:"watch" yaml:"watch"`
	RescanInterval time.Duration `koanf:"rescan-interval" yaml:"rescan-interval"`
}

// User is one account: a bcrypt hash of its password (or, when empty, the
// hash of the same name in the users-file), the folder of the share it
// sees as its root ("/" for all of it) and whether it may write.
type User struct {
	Name     string `koanf:"name" yaml:"name"`
	Hash     string `koanf:"hash" yaml:"hash"`
	Root     string `koanf:"root" yaml:"root"`
	ReadOnly bool   `koanf:"read-only" yaml:"read-only"`
	// Rules are the user's own, on paths relative to Root (what the
	// user sees as "/").
	Rules []Rule `koanf:"rules" yaml:"rules"`
}

// Rule gives access (none, read or write) to Path and everything below
// it, unless a rule on a longer path says otherwise (see internal/access).
type Rule struct {
	Path   string `koanf:"path" yaml:"path"`
	Access string `koanf:"access" yaml:"access"`
}

// checkRules validates the rules of the list key: clean absolute paths,
// a known access, no path twice.
func checkRules(key string, rules []Rule) []error {
	var errs []error
	for i, r := range rules {
		at := fmt.Sprintf("%s[%d]", key, i)
		if err := access.CheckPath(r.Path); err != nil {
			errs = append(errs, fmt.Errorf("%s.path: %w", at, err))
		}
		if _, err := access.ParseLevel(r.Access); err != nil {
			errs = append(errs, fmt.Errorf("%s.access: %w", at, err))
		}
		for _, prev := range rules[:i] {
			if access.Same(prev.Path, r.Path) {
				errs = append(errs, fmt.Errorf("%s.path: %q appears twice (paths match without regard to case)", at, r.Path))
				break
			}
		}
	}
	return errs
}

// checkHide validates the hide patterns.
func checkHide(patterns []string) []error {
	var errs []error
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil || p == "" || strings.Contains(p, "/") {
			errs = append(errs, fmt.Errorf("hide: %q is not a pattern of a name (path.Match syntax: * ? [a-z] \\, no /)", p))
		}
	}
	return errs
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
		AccessLogFormat:      "combined",
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
		MaxZipBytes:          4 << 30,
		MaxZips:              4,
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

		Watch:                 true,
		RescanInterval:        time.Hour,
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
	check(oneOf(c.AccessLogFormat, "combined", "json"), "access-log-format", fmt.Sprintf("%q is not combined or json", c.AccessLogFormat))
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
	check(c.MaxZipBytes >= 0, "max-zip-bytes", "must not be negative")
	check(c.MaxZips >= 0, "max-zips", "must not be negative")
	check(c.ChunkedUploadExpiry >= 0, "chunked-upload-expiry", "must not be negative")
	check(c.MaxChunkedUploadsPerUser >= 0, "max-chunked-uploads-per-user", "must not be negative")
	check(c.MaxChunkedUploadBytesPerUser >= 0, "max-chunked-upload-bytes-per-user", "must not be negative")
	check(c.RescanInterval == 0 || c.RescanInterval >= time.Second, "rescan-interval", "must be 0 (only at start) or at least 1s")
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
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		check(u.Name != "" && !strings.ContainsAny(u.Name, ":\n"), key+".name", "a name without ':' is required")
		check(c.AuthHeader == "" || !strings.Contains(u.Name, ","), key+".name", "must not contain ',' with auth-header: a header value with a comma is refused as a list")
		check(u.Hash == "" || strings.HasPrefix(u.Hash, "$2"), key+".hash", "must be a bcrypt hash (make one with 'atomdav user hash')")
		check(u.Hash != publishedHash, key+".hash", "is the sample hash older releases of 'atomdav config example' printed, known to all: make one with 'atomdav user hash'")
		check(u.Root == "" || strings.HasPrefix(u.Root, "/"), key+".root", "must start with /")
		errs = append(errs, checkRules(key+".rules", u.Rules)...)
	}
	errs = append(errs, checkRules("rules", c.Rules)...)
	errs = append(errs, checkHide(c.Hide)...)
	if len(errs) > 0 || !serving {
		return joinLine(errs)
	}
	users, _, err := c.AllUsers()
	if err != nil {
		return err
	}
	check(c.AuthHeader == "" || len(users) > 0, "auth-header", "names configured users only: add them to users")
	check(c.Anonymous || len(users) > 0, "users",
		"no users are configured: add users to the config file (see 'atomdav config example'), pass --users-file or --user, or pass --anonymous")
	for _, u := range users[len(c.Users):] { // those of users-file and user
		check(c.AuthHeader == "" || !strings.Contains(u.Name, ","), "users-file", fmt.Sprintf("%q must not contain ',' with auth-header: a header value with a comma is refused as a list", u.Name))
		check(u.Hash != publishedHash, "users-file", fmt.Sprintf("the hash of %q is the sample hash older releases of 'atomdav config example' printed, known to all: make one with 'atomdav user hash'", u.Name))
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

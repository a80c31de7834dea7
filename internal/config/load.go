package config

import (
	"fmt"
	"os"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// EnvPrefix starts every environment variable atomdav reads.
const EnvPrefix = "ATOMDAV_"

// AddFlags registers one flag per key on fs, with the defaults of d.
func AddFlags(fs *pflag.FlagSet, d Config) {
	fs.String("config", "", "YAML configuration file (see 'atomdav config example')")
	fs.String("addr", d.Addr, "listen address (host:port)")
	fs.String("state", d.State, "folder of the property store (default DIR/.atomdav)")
	fs.String("store", d.Store, "postgres://user@host/db: keep properties, locks and intents in PostgreSQL, shared by several instances (default: embedded, in the state folder)")
	fs.String("prefix", d.Prefix, "URL path the share is mounted at, e.g. /dav")
	fs.String("log-level", d.LogLevel, "debug, info, warn or error")
	fs.String("log-format", d.LogFormat, "text or json")
	fs.String("access-log", d.AccessLog, "write one line per request to stderr or to this file (appended to, reopened on SIGHUP), instead of the server log's request lines (empty: off)")
	fs.String("access-log-format", d.AccessLogFormat, "combined (Apache's combined log format) or json")
	fs.Int64("max-xml-bytes", d.MaxXMLBytes, "largest PROPFIND/PROPPATCH/LOCK body accepted")
	fs.Int64("max-upload-bytes", d.MaxUploadBytes, "largest PUT body accepted (0: no limit)")
	fs.Duration("upload-idle-timeout", d.UploadIdleTimeout, "longest a PUT body may send nothing before the upload ends with 408 (0: no limit)")
	fs.Int64("upload-min-rate", d.UploadMinRate, "fewest bytes a second a PUT body may average over upload-idle-timeout (1m when 0), after the first, before it ends with 408 (0: no minimum)")
	fs.Int("max-uploads", d.MaxUploads, "most PUT bodies received at once; one more gets 503 with Retry-After (0: no limit)")
	fs.Int("max-uploads-per-user", d.MaxUploadsPerUser, "most PUT bodies one user (or anonymous) sends at once; one more gets 503 with Retry-After (0: no limit)")
	fs.Int64("max-zip-bytes", d.MaxZipBytes, "most file bytes one folder download as a zip (GET folder/?zip) may hold; a bigger folder gets 413 (0: no limit)")
	fs.Int("max-zips", d.MaxZips, "most folder zips sent at once; one more gets 503 with Retry-After (0: no limit)")
	fs.Duration("chunked-upload-expiry", d.ChunkedUploadExpiry, "how long a chunked upload (Nextcloud's /remote.php/dav/uploads) may stay untouched before its chunks are removed (0: never)")
	fs.Int("max-chunked-uploads-per-user", d.MaxChunkedUploadsPerUser, "most chunked uploads one user (or anonymous) has under way; one more MKCOL gets 507 (0: no limit)")
	fs.Int64("max-chunked-upload-bytes-per-user", d.MaxChunkedUploadBytesPerUser, "most bytes in one user's pending chunks; a chunk over it gets 507 (0: no limit)")
	fs.Duration("max-lock-timeout", d.MaxLockTimeout, "longest a WebDAV lock lasts without a refresh (Timeout: Infinite included)")
	fs.Int("max-locks-per-resource", d.MaxLocksPerResource, "most live locks on one resource; a LOCK over it gets 507 (0: no limit)")
	fs.Int("max-locks-per-principal", d.MaxLocksPerPrincipal, "most live locks one user (or anonymous) holds; a LOCK over it gets 507 (0: no limit)")
	fs.Int64("max-lock-owner-bytes", d.MaxLockOwnerBytes, "largest DAV:owner XML a LOCK may store (400 above)")
	fs.Int("max-if-conditions", d.MaxIfConditions, "most conditions an If header may hold (400 above)")
	fs.Int("max-propfind-props", d.MaxPropfindProps, "most property names one PROPFIND may ask for, DAV:include too (403 above)")
	fs.Int("max-ranges", d.MaxRanges, "most ranges a GET's Range header may ask for; over it the whole file is sent (200)")
	fs.Int("max-header-bytes", d.MaxHeaderBytes, "largest request header block, request line included (431 above)")
	fs.Duration("sync-journal-retention", d.SyncJournalRetention, "how long the change journal keeps an entry for sync-collection clients; an older sync-token gets 403 valid-sync-token (0: forever)")
	fs.Int64("sync-journal-max-entries", d.SyncJournalMaxEntries, "most entries the change journal keeps; older ones are compacted away hourly (0: no bound)")
	fs.Int("max-sync-results", d.MaxSyncResults, "most members one sync-collection REPORT answers (507 with a token to continue from)")
	fs.Int("max-prop-value-bytes", d.MaxPropValueBytes, "largest dead property value a PROPPATCH may store, namespace declarations included (507 above)")
	fs.Int("max-xml-depth", d.MaxXMLDepth, "deepest element nesting of a PROPPATCH body, the propertyupdate counting as 1 (400 above)")
	fs.Int("max-props-per-resource", d.MaxPropsPerResource, "most dead properties one resource may hold (a PROPPATCH adding more: 507)")
	fs.Int("max-failed-logins", d.MaxFailedLogins, "failed logins one address (IPv6: one /64) may make within failed-login-window before it gets 429")
	fs.Duration("failed-login-window", d.FailedLoginWindow, "time in which max-failed-logins failures are forgiven, one at a time")
	fs.Bool("allow-infinite-depth", d.AllowInfiniteDepth, "allow PROPFIND with Depth: infinity")
	fs.Int("max-conns", d.MaxConns, "most client connections served at once (0: no limit)")
	fs.Duration("read-header-timeout", d.ReadHeaderTimeout, "time a client has to send its request headers")
	fs.Duration("idle-timeout", d.IdleTimeout, "how long an idle keep-alive connection stays open")
	fs.Duration("shutdown-timeout", d.ShutdownTimeout, "how long SIGTERM waits for requests in flight")
	fs.String("tls-cert", d.TLSCert, "TLS certificate file (PEM); with --tls-key serves HTTPS and HTTP/2, reloaded on SIGHUP")
	fs.String("tls-key", d.TLSKey, "TLS private key file (PEM)")
	fs.Bool("anonymous", d.Anonymous, "serve clients without credentials (only when you mean it)")
	fs.Bool("anonymous-read-only", d.AnonymousReadOnly, "anonymous clients may only read")
	fs.String("users-file", d.UsersFile, "Apache htpasswd file of users (bcrypt, SHA-256/512 crypt, apr1, {SHA}; atomdav's options after a third ':', e.g. alice:HASH:root=/alice,read-only), re-read on SIGHUP and when it changes")
	fs.String("user", d.User, "one more user, NAME:BCRYPT-HASH (quote it: the hash holds '$'), e.g. for containers")
	fs.String("auth-header", d.AuthHeader, "trust this header (e.g. X-Forwarded-User) to name the user, from trusted proxies only")
	fs.StringSlice("trusted-proxies", d.TrustedProxies, "addresses or CIDRs of reverse proxies whose X-Forwarded-* and auth header are believed")
	fs.StringSlice("cors-origins", d.CORSOrigins, "origins allowed to use the share from a browser (* for any)")
	fs.StringSlice("allowed-hosts", d.AllowedHosts, "host names the Host header may name besides localhost and IP addresses (* for any; default: any, but none for anonymous access and the metrics listener on a loopback address)")
	fs.String("metrics-addr", d.MetricsAddr, "address of the /metrics, /healthz and /readyz listener (empty: off)")
	fs.Bool("pprof", d.Pprof, "serve /debug/pprof on the metrics address")
	fs.String("durability", d.Durability, "full: fsync content, folders and store before answering; relaxed: atomic renames without fsync of content (survives a crash of atomdav, not a power cut)")
	fs.Bool("hide-os-junk", d.HideOSJunk, "hide .DS_Store, Thumbs.db, desktop.ini and ._* from listings")
	fs.StringSlice("hide", d.Hide, "patterns of names left out of listings but reachable by name (path.Match, e.g. '*.tmp,~$*')")
	fs.Bool("nextcloud-urls", d.NextcloudURLs, "serve the share at Nextcloud's and ownCloud's URLs too (/remote.php/dav/files/USER/, /remote.php/webdav/, status.php, OCS capabilities); =false makes those ordinary paths of the share")
	fs.Bool("watch", d.Watch, "watch every folder of the share with inotify so changes made on disk, not through WebDAV, reach the change journal at once (=false: only rescan-interval's scans see them)")
	fs.Duration("rescan-interval", d.RescanInterval, "time between full scans comparing the disk with the change journal while serving; one runs at start either way (0: only at start)")
	fs.StringSlice("checksums", d.Checksums, "digests computed of every upload and reported as oc:checksums: md5, sha1, adler32, sha256, sha512 (empty: none)")
}

// Load merges the defaults of fs's flags, the YAML file named by --config
// (if any), the ATOMDAV_* variables of environ and the flags set on the
// command line, in that order of precedence from lowest to highest. The
// file and the variables are strict (see checkFile and checkEnv): an
// unknown key or a value of the wrong kind is an error naming it, and the
// line, rather than a setting silently dropped or misread.
func Load(fs *pflag.FlagSet, environ []string) (Config, error) {
	k := koanf.New(".")
	path, _ := fs.GetString("config")
	if path == "" {
		path = lookup(environ, EnvPrefix+"CONFIG")
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := checkFile(path, data); err != nil {
			return Config{}, err
		}
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := checkEnv(environ); err != nil {
		return Config{}, err
	}
	if err := k.Load(env.Provider(".", env.Opt{Prefix: EnvPrefix, TransformFunc: envKey, EnvironFunc: func() []string { return environ }}), nil); err != nil {
		return Config{}, fmt.Errorf("environment: %w", err)
	}
	if err := k.Load(posflag.Provider(fs, ".", k), nil); err != nil {
		return Config{}, fmt.Errorf("flags: %w", err)
	}
	k.Delete("config")
	var c Config
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

package server

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/atomdav/atomdav/internal/auth"
	"github.com/atomdav/atomdav/internal/config"
)

// reloadDebounce is how long the file watcher waits after the last change
// of a watched file before it reloads: an editor's save or a rename
// comes as several events.
const reloadDebounce = 300 * time.Millisecond

// reloadableKeys are the keys a reload applies: who may log in, with
// what, where and how. (rules rides along: per-path rules of users and
// anonymous are part of the same views.) Every other key changed in the
// file needs a restart, and the reload says so.
var reloadableKeys = map[string]bool{
	"users": true, "user": true, "anonymous": true, "anonymous-read-only": true, "rules": true,
}

// authState holds the gate requests go through, replaced whole by a
// reload: a request keeps the gate it started with to its end.
type authState struct {
	gate atomic.Pointer[gate]

	mu sync.Mutex // serialises reloads
	// load re-reads the configuration (file, environment, flags) and
	// validates it; nil: a reload re-reads the users file alone.
	load func() (config.Config, error)
	// configFile is the configuration file load reads ("" for none),
	// watched with the users file.
	configFile string
}

// SetConfigSource tells the server how to read its configuration again
// on a reload (load, as serve read it at start) and which file that reads
// (watched for changes, with the users-file; "" for none). Call it before
// Serve.
func (s *Server) SetConfigSource(load func() (config.Config, error), configFile string) {
	s.auth.load = load
	s.auth.configFile = configFile
}

// Reload is what SIGHUP does, the one place that does it: the access log
// file is reopened (logrotate), the TLS certificate is read again (when
// TLS is on), then the users (see reloadUsers). Whatever fails is logged
// and the previous state stays.
func (s *Server) Reload(ctx context.Context) {
	s.reopenAccessLog()
	if s.tlsOn() {
		s.reloadCertificate()
	}
	s.reloadUsers("SIGHUP")
}

// reloadUsers reads the configuration again, builds a new gate from its
// users (YAML users, users-file, user), anonymous access and their
// settings, and swaps it in: new requests go through it, those in flight
// keep the one they started with, and no connection is dropped. Cached
// logins end (auth.Authenticator.Renew), so a removed user's next request
// is 401. It logs one line: the number of users, or why nothing changed.
// Other keys changed in the file are not applied; one warning names them.
func (s *Server) reloadUsers(cause string) {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	cfg := s.cfg
	var restart []string
	if s.auth.load != nil {
		fresh, err := s.auth.load()
		if err != nil {
			s.log.Error("users not reloaded: still serving the previous ones", "cause", cause, "err", err)
			return
		}
		cfg, restart = applyReloadable(s.cfg, fresh)
		if cfg.Anonymous && !s.cfg.Anonymous && s.hostGuardOff() {
			// withHost chose at start not to guard a share with no
			// anonymous access against DNS rebinding; turning it on
			// without that guard would open it to any web page.
			cfg.Anonymous = false
			restart = append(restart, "anonymous")
		}
	}
	var prev *auth.Authenticator
	if g := s.auth.gate.Load(); g != nil {
		prev = g.auth
	}
	g, weak, err := s.newGate(s.dav, cfg, prev)
	if err != nil {
		s.log.Error("users not reloaded: still serving the previous ones", "cause", cause, "err", err)
		return
	}
	s.auth.gate.Store(g)
	if len(weak) > 0 {
		s.log.Info("users reloaded", "cause", cause, "users", g.users, "anonymous", cfg.Anonymous, "weak_hashes", strings.Join(weak, ","))
	} else {
		s.log.Info("users reloaded", "cause", cause, "users", g.users, "anonymous", cfg.Anonymous)
	}
	if len(restart) > 0 {
		s.log.Warn("settings changed in the configuration need a restart: not applied", "keys", strings.Join(restart, ", "))
	}
}

// hostGuardOff reports whether withHost lets any Host in only because
// anonymous access was off at start (see withHost).
func (s *Server) hostGuardOff() bool {
	return len(s.cfg.AllowedHosts) == 0 && s.ln != nil && isLoopback(s.ln.Addr())
}

// applyReloadable returns running with the reloadable keys of fresh, and
// the keys whose value differs between the two that a reload does not
// apply.
func applyReloadable(running, fresh config.Config) (config.Config, []string) {
	out := running
	rv, fv, ov := reflect.ValueOf(running), reflect.ValueOf(fresh), reflect.ValueOf(&out).Elem()
	var restart []string
	for i := range rv.NumField() {
		key, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("koanf"), ",")
		switch {
		case key == "" || key == "-":
		case reloadableKeys[key]:
			ov.Field(i).Set(fv.Field(i))
		case !reflect.DeepEqual(rv.Field(i).Interface(), fv.Field(i).Interface()):
			restart = append(restart, key)
		}
	}
	return out, restart
}

// watchReload calls Reload on every SIGHUP, and reloadUsers when the
// users file or the configuration file changes on disk, until ctx ends or
// the returned stop is called. The signal is subscribed to before
// watchReload returns, so a SIGHUP sent once the server answers never
// kills it.
func (s *Server) watchReload(ctx context.Context) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	stopFiles := s.watchFiles(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				s.Reload(ctx)
			}
		}
	}()
	return func() {
		cancel()
		<-done
		stopFiles()
	}
}

// watchFiles watches the folders of the users file and the configuration
// file (a folder, so that a file replaced by a rename, as editors and
// 'atomdav user add' do, is still seen) and reloads the users
// reloadDebounce after the last change of either file.
func (s *Server) watchFiles(ctx context.Context) (stop func()) {
	targets := map[string]bool{}
	for _, f := range []string{s.cfg.UsersFile, s.auth.configFile} {
		if f == "" {
			continue
		}
		if abs, err := filepath.Abs(f); err == nil {
			targets[abs] = true
		}
	}
	if len(targets) == 0 {
		return func() {}
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("files not watched: reload with SIGHUP", "err", err)
		return func() {}
	}
	for f := range targets {
		if err := w.Add(filepath.Dir(f)); err != nil {
			s.log.Warn("folder not watched: reload with SIGHUP", "folder", filepath.Dir(f), "err", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var settle <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if targets[filepath.Clean(ev.Name)] {
					settle = time.After(reloadDebounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				s.log.Warn("file watcher", "err", err)
			case <-settle:
				settle = nil
				s.reloadUsers("file changed")
			}
		}
	}()
	return func() {
		w.Close()
		<-done
	}
}

package server

import (
	"strings"
	"testing"
)

// FuzzLayoutLocate checks the layout's reading of a request's URL path,
// the one that decides whose files a request reaches: it never panics, a
// user it names holds no slash and is not empty, and the cleaned path it
// returns lies below that user's URL, so no dot segment or doubled slash
// leads from one user's URL into another's.
func FuzzLayoutLocate(f *testing.F) {
	for _, p := range []string{
		"/remote.php/dav/files/alice/x", "/remote.php/dav/files/alice/../bob/x",
		"/remote.php/dav/uploads/alice/id/1", "//remote.php//dav/files//alice", "/a/../remote.php/webdav/",
		"/remote.php/dav/files/", "/status.php", "/ocs/v2.php/cloud/user", "remote.php/dav/files/x",
	} {
		f.Add("", p)
		f.Add("/dav", "/dav"+p)
	}
	f.Fuzz(func(t *testing.T, base, p string) {
		l := &layout{base: strings.TrimSuffix(base, "/")}
		where, user, rest := l.locate(p)
		switch where {
		case atFiles, atUploads:
			dir := ncFiles
			if where == atUploads {
				dir = ncUploads
			}
			if user == "" || strings.Contains(user, "/") {
				t.Fatalf("locate(%q) named user %q", p, user)
			}
			if want := dir + "/" + user; rest != want && !strings.HasPrefix(rest, want+"/") {
				t.Fatalf("locate(%q) = user %q, rest %q: not below %s", p, user, rest, want)
			}
			if strings.Contains(rest, "/../") || strings.HasSuffix(rest, "/..") || strings.Contains(rest, "//") {
				t.Fatalf("locate(%q) left %q uncleaned", p, rest)
			}
		}
	})
}

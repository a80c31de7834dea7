package server

import "testing"

// TestLayoutLocate: which part of the Nextcloud layout a URL path lies in,
// below the share's prefix, after dot segments are resolved.
func TestLayoutLocate(t *testing.T) {
	tests := []struct {
		base, path string
		where      place
		user       string
	}{
		{"", "/status.php", atStatus, ""},
		{"", "/status.php/", outside, ""},
		{"", "/ocs/v1.php/cloud/capabilities", atOCS, ""},
		{"", "/ocs/v2.php", atOCS, ""},
		{"", "/ocs/v3.php/cloud/user", outside, ""},
		{"", "/ocs", outside, ""},
		{"", "/remote.php", atUnknown, ""},
		{"", "/remote.php/caldav/", atUnknown, ""},
		{"", "/remote.phpx/webdav/", outside, ""},
		{"", "/remote.php/webdav", atWebdav, ""},
		{"", "/remote.php/webdav/a/b.txt", atWebdav, ""},
		{"", "/remote.php/webdavx", atUnknown, ""},
		{"", "/remote.php/dav", atDAVRoot, ""},
		{"", "/remote.php/dav/", atDAVRoot, ""},
		{"", "/remote.php/dav/files", atFilesRoot, ""},
		{"", "/remote.php/dav/files/", atFilesRoot, ""},
		{"", "/remote.php/dav/files/alice", atFiles, "alice"},
		{"", "/remote.php/dav/files/alice/x/y", atFiles, "alice"},
		{"", "/remote.php/dav/files/bob/../alice/x", atFiles, "alice"},
		{"", "/remote.php/dav/files/../../../status.php", atStatus, ""},
		{"", "/remote.php/dav/files/../../status.php", atUnknown, ""},
		{"", "/x/../remote.php/webdav/", atWebdav, ""},
		{"", "/remote.php/dav/files//alice/", atFiles, "alice"},
		{"", "/remote.php/dav/uploads/", atUploadsRoot, ""},
		{"", "/remote.php/dav/uploads/alice/123/1", atUploads, "alice"},
		{"", "/remote.php/dav/principals/", atUnknown, ""},
		{"", "/a.txt", outside, ""},
		{"", "/", outside, ""},
		{"/dav", "/dav/remote.php/webdav/", atWebdav, ""},
		{"/dav", "/dav/status.php", atStatus, ""},
		{"/dav", "/remote.php/webdav/", outside, ""},
		{"/dav", "/status.php", outside, ""},
		{"/dav", "/davx/status.php", outside, ""},
		{"/dav/", "/dav/remote.php/dav/files/al ice/", atFiles, "al ice"},
	}
	for _, tt := range tests {
		l := &layout{base: trimSlash(tt.base)}
		where, user, _ := l.locate(tt.path)
		if where != tt.where || user != tt.user {
			t.Errorf("base %q: locate(%q) = %d, %q; want %d, %q", tt.base, tt.path, where, user, tt.where, tt.user)
		}
	}
}

func trimSlash(s string) string {
	if len(s) > 0 && s[len(s)-1] == '/' {
		return s[:len(s)-1]
	}
	return s
}

// TestCleanURLPathAllocs: the plain layout's requests pay no allocation
// for the layout's look at their path.
func TestCleanURLPathAllocs(t *testing.T) {
	for _, p := range []string{"/a/b.txt", "/a/b/", "/"} {
		if n := testing.AllocsPerRun(100, func() { _ = cleanURLPath(p) }); n != 0 {
			t.Errorf("cleanURLPath(%q): %v allocations", p, n)
		}
		if got := cleanURLPath(p); got != p {
			t.Errorf("cleanURLPath(%q) = %q", p, got)
		}
	}
	for in, want := range map[string]string{"/a//b/": "/a/b/", "/a/../b": "/b", "a/./b/": "/a/b/", "/..": "/", "/a/..": "/"} {
		if got := cleanURLPath(in); got != want {
			t.Errorf("cleanURLPath(%q) = %q, want %q", in, got, want)
		}
	}
}

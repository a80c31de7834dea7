package interop

import (
	"github.com/atomdav/atomdav/internal/testbin"

	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// curlReply is curl's view of a response.
type curlReply struct {
	status int
	header http.Header
	body   string
}

// curl runs curl with args (URL last, as {{url}}/path) and stdin and
// parses what -i printed. Interim 1xx answers are skipped.
func curl(t *testing.T, bin string, s *server, stdin string, args ...string) curlReply {
	t.Helper()
	full := []string{"-s", "-S", "-i", "--max-time", "20"}
	for _, a := range args {
		full = append(full, strings.ReplaceAll(a, "{{url}}", s.URL))
	}
	out := newTool(t, bin).must(stdin, full...)
	br := bufio.NewReader(strings.NewReader(out))
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("curl %s: reading its output: %v\n%s", strings.Join(full, " "), err, out)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 200 {
			return curlReply{status: resp.StatusCode, header: resp.Header, body: string(b)}
		}
	}
}

// TestCurl sends the requests real clients send, with curl, where curl
// can produce them exactly: chunked bodies from stdin, a PUT with no body
// and no Content-Length, a bare Lock-Token, the ownCloud headers.
func TestCurl(t *testing.T) {
	t.Parallel()
	bin := testbin.NeedTool(t, "curl", "curl")
	s := startServer(t)
	body := "a body of known length\n"
	sum := sha1.Sum([]byte(body))
	sha := hex.EncodeToString(sum[:])
	mtime := time.Date(2022, 2, 22, 22, 22, 22, 0, time.UTC)

	cases := []struct {
		name    string
		setup   func(t *testing.T)
		stdin   string
		args    []string
		status  int
		headers map[string]string // header → regexp
		check   func(t *testing.T, r curlReply)
	}{{
		name:    "RFC 4918 §10.1 OPTIONS advertises classes 1, 2, 3 and MS-Author-Via",
		args:    []string{"-X", "OPTIONS", "{{url}}/"},
		status:  200,
		headers: map[string]string{"Dav": `^1, 2, 3$`, "Ms-Author-Via": `^DAV$`},
	}, {
		name:   "macOS Finder chunked PUT with X-Expected-Entity-Length",
		stdin:  body,
		args:   []string{"-T", "-", "-H", "X-Expected-Entity-Length: 23", "-A", "WebDAVFS/3.0.0 (03008000) Darwin/22.6.0 (arm64)", "{{url}}/finder.txt"},
		status: 201,
		check: func(t *testing.T, r curlReply) {
			wantFile(t, s, "finder.txt", body)
		},
	}, {
		name: "macOS Finder chunked PUT shorter than announced keeps the old content",
		setup: func(t *testing.T) {
			writeServerFile(t, s, "short.txt", "old content\n")
		},
		stdin:  "cut short",
		args:   []string{"-T", "-", "-H", "X-Expected-Entity-Length: 4096", "{{url}}/short.txt"},
		status: 400,
		check: func(t *testing.T, r curlReply) {
			wantFile(t, s, "short.txt", "old content\n")
		},
	}, {
		name:   "davfs2 and GVFS PUT with neither body nor Content-Length creates an empty file",
		args:   []string{"-X", "PUT", "{{url}}/bodyless.txt"},
		status: 201,
		check: func(t *testing.T, r curlReply) {
			wantFile(t, s, "bodyless.txt", "")
		},
	}, {
		name: "Windows PROPFIND of a folder without trailing slash: 207, no redirect",
		setup: func(t *testing.T) {
			if r := s.do(t, "MKCOL", "/folder", ""); r.Status != http.StatusCreated {
				t.Fatalf("MKCOL /folder: %s", r)
			}
		},
		args:   []string{"-X", "PROPFIND", "-H", "Depth: 1", "-A", "Microsoft-WebDAV-MiniRedir/10.0.19045", "{{url}}/folder"},
		status: 207,
		check: func(t *testing.T, r curlReply) {
			if r.header.Get("Location") != "" || !strings.Contains(r.body, "<D:href>/folder/</D:href>") {
				t.Errorf("answer:\n%s", r.body)
			}
		},
	}, {
		name:  "rclone OC-Checksum and X-OC-Mtime on PUT: verified, kept, accepted",
		args:  []string{"-T", "-", "-H", "OC-Checksum: SHA1:" + sha, "-H", "X-OC-Mtime: 1645568542", "{{url}}/oc.txt"},
		stdin: body, status: 201,
		headers: map[string]string{"X-Oc-Mtime": `^accepted$`},
		check: func(t *testing.T, r curlReply) {
			wantFile(t, s, "oc.txt", body)
			wantMtime(t, s, "oc.txt", mtime)
			p := s.do(t, "PROPFIND", "/oc.txt", `<D:propfind xmlns:D="DAV:"><D:prop><oc:checksums xmlns:oc="http://owncloud.org/ns"/></D:prop></D:propfind>`, "Depth", "0")
			if !strings.Contains(string(p.Body), "SHA1:"+sha) {
				t.Errorf("oc:checksums after PUT: %s", p)
			}
		},
	}, {
		name:   "rclone OC-Checksum mismatch: 400 and nothing stored",
		stdin:  body,
		args:   []string{"-T", "-", "-H", "OC-Checksum: SHA1:0000000000000000000000000000000000000000", "{{url}}/badsum.txt"},
		status: 400,
		check: func(t *testing.T, r curlReply) {
			if _, err := os.Stat(filepath.Join(s.Dir, "badsum.txt")); err == nil {
				t.Errorf("a PUT with a wrong checksum left a file")
			}
		},
	}, {
		name: "rclone X-OC-Mtime on MOVE and COPY",
		setup: func(t *testing.T) {
			writeServerFile(t, s, "tomove.txt", body)
		},
		args:    []string{"-X", "MOVE", "-H", "Destination: {{url}}/moved.txt", "-H", "Overwrite: T", "-H", "X-OC-Mtime: 1645568542", "{{url}}/tomove.txt"},
		status:  201,
		headers: map[string]string{"X-Oc-Mtime": `^accepted$`},
		check: func(t *testing.T, r curlReply) {
			wantMtime(t, s, "moved.txt", mtime)
			c := curl(t, bin, s, "", "-X", "COPY", "-H", "Destination: {{url}}/copied.txt", "-H", "X-OC-Mtime: 1645568543", "{{url}}/moved.txt")
			if c.status != 201 || c.header.Get("X-OC-Mtime") != "accepted" {
				t.Errorf("COPY with X-OC-Mtime: %d %v", c.status, c.header)
			}
			wantMtime(t, s, "copied.txt", mtime.Add(time.Second))
		},
	}, {
		name: "Windows UNLOCK with a Lock-Token without angle brackets",
		setup: func(t *testing.T) {
			writeServerFile(t, s, "locked.txt", body)
		},
		args: []string{"-X", "LOCK", "-H", "Content-Type: text/xml", "-H", "Timeout: Second-3600",
			"--data", `<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>PC\ada</D:href></D:owner></D:lockinfo>`,
			"{{url}}/locked.txt"},
		status:  200,
		headers: map[string]string{"Lock-Token": `^<urn:uuid:[0-9a-f-]+>$`},
		check: func(t *testing.T, r curlReply) {
			token := strings.Trim(r.header.Get("Lock-Token"), "<>")
			u := curl(t, bin, s, "", "-X", "UNLOCK", "-H", "Lock-Token: "+token, "-A", "Microsoft-WebDAV-MiniRedir/10.0.19045", "{{url}}/locked.txt")
			if u.status != 204 {
				t.Errorf("UNLOCK with a bare token: %d %s", u.status, u.body)
			}
		},
	}, {
		name: "RFC 9110 §13.1.1 If-Match with a strong ETag",
		setup: func(t *testing.T) {
			writeServerFile(t, s, "etag.txt", body)
		},
		args:   []string{"-T", "-", "-H", `If-Match: "not-the-etag"`, "{{url}}/etag.txt"},
		stdin:  "lost update\n",
		status: 412,
		check: func(t *testing.T, r curlReply) {
			head := curl(t, bin, s, "", "-I", "{{url}}/etag.txt")
			etag := head.header.Get("ETag")
			if !regexp.MustCompile(`^"[^"]+"$`).MatchString(etag) {
				t.Fatalf("ETag %q is not strong", etag)
			}
			ok := curl(t, bin, s, "new content\n", "-T", "-", "-H", "If-Match: "+etag, "{{url}}/etag.txt")
			if ok.status != 204 {
				t.Errorf("PUT with the current ETag: %d %s", ok.status, ok.body)
			}
			wantFile(t, s, "etag.txt", "new content\n")
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.setup != nil {
				tc.setup(t)
			}
			r := curl(t, bin, s, tc.stdin, tc.args...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%v\n%s", r.status, tc.status, r.header, r.body)
			}
			for name, re := range tc.headers {
				if got := strings.Join(r.header.Values(name), ", "); !regexp.MustCompile(re).MatchString(got) {
					t.Errorf("header %s: %q, want %s", name, got, re)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// writeServerFile creates a file through the server (so the store knows
// it) and wants 201.
func writeServerFile(t *testing.T, s *server, name, content string) {
	t.Helper()
	if r := s.do(t, "PUT", "/"+name, content); r.Status != http.StatusCreated {
		t.Fatalf("PUT /%s: %s", name, r)
	}
}

// wantFile reads a file in the served folder directly.
func wantFile(t *testing.T, s *server, name, content string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, name))
	if err != nil || string(b) != content {
		t.Errorf("%s on the server's disk: %q, %v; want %q", name, b, err, content)
	}
}

// wantMtime checks a file's modification time on the server's disk.
func wantMtime(t *testing.T, s *server, name string, mtime time.Time) {
	t.Helper()
	fi, err := os.Stat(filepath.Join(s.Dir, name))
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if !fi.ModTime().Equal(mtime) {
		t.Errorf("%s: mtime %s, want %s", name, fi.ModTime().UTC(), mtime)
	}
}

package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
)

// repoRoot is the repository, from this package's folder.
const repoRoot = "../.."

// gitVersion is what the Makefile's VERSION is in this checkout (git
// describe), or "" when that cannot be known.
func gitVersion(t *testing.T) string {
	out, err := exec.Command("git", "-C", repoRoot, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		t.Logf("git describe: %v: the version is not checked", err)
		return ""
	}
	return strings.TrimSpace(string(out))
}

// runMake runs make in the repository with args and returns its output;
// a failure fails the test with that output.
func runMake(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("make", append([]string{"-s", "-C", repoRoot}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestMakeDist: make dist builds a static binary per platform, named
// atomdav_VERSION_OS_ARCH, stamped with the version, with a SHA256SUMS
// that matches it. Only the host's platform is built here (each other one
// is a cold cross build of every dependency, a minute or more on a small
// CI machine); the release builds all six the same way.
func TestMakeDist(t *testing.T) {
	t.Parallel()
	testbin.NeedTool(t, "make", "make")
	testbin.NeedTool(t, "sha256sum", "coreutils")
	version := gitVersion(t)
	dist := t.TempDir()
	out := runMake(t, "dist", "DIST="+dist, "DIST_TARGETS="+runtime.GOOS+"/"+runtime.GOARCH)
	ext := ""
	if runtime.GOOS == "windows" {
		ext = ".exe"
	}
	matches, _ := filepath.Glob(filepath.Join(dist, "atomdav_*_"+runtime.GOOS+"_"+runtime.GOARCH+ext))
	if len(matches) != 1 {
		t.Fatalf("make dist made %v, want one atomdav_VERSION_%s_%s%s\n%s", matches, runtime.GOOS, runtime.GOARCH, ext, out)
	}
	bin := matches[0]
	if version != "" && filepath.Base(bin) != "atomdav_"+version+"_"+runtime.GOOS+"_"+runtime.GOARCH+ext {
		t.Errorf("binary named %s, want the version %s in its name", filepath.Base(bin), version)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if want := hex.EncodeToString(sum[:]) + "  " + filepath.Base(bin) + "\n"; string(sums) != want {
		t.Errorf("SHA256SUMS is %q, want %q", sums, want)
	}
	if runtime.GOOS == "linux" {
		wantStatic(t, bin)
	}
	v, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	if !strings.HasPrefix(string(v), "atomdav "+version) || strings.HasPrefix(string(v), "atomdav devel") {
		t.Errorf("%s version printed %q, want atomdav %s", filepath.Base(bin), v, version)
	}
}

// TestDistPlatformsTypecheck: atomdav compiles for the platforms make
// dist builds besides the host's, which TestMakeDist does not build:
// testdata/typecheck type-checks the module's packages as they are
// selected for Windows and macOS, function bodies included (a third of the
// cost of a cold cross build).
func TestDistPlatformsTypecheck(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "run", "./internal/e2e/testdata/typecheck", "windows/amd64", "darwin/arm64")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
}

// wantStatic fails the test unless the ELF file bin asks for no dynamic
// loader: it runs on any Linux, whatever its C library.
func wantStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked (it has an interpreter)", bin)
		}
	}
}

// TestHealthcheckCommand: `atomdav healthcheck URL`, the container's
// HEALTHCHECK, exits 0 for a 2xx answer and 1 otherwise.
func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	_, ops := startOpsServer(t, t.TempDir())
	closed, err := testbin.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url  string
		code int
	}{
		{ops + "/healthz", 0},
		{ops + "/no-such-endpoint", 1},
		{"http://" + closed + "/healthz", 1},
	} {
		code, _, stderr := runCLI(t, "healthcheck", tt.url)
		if code != tt.code {
			t.Errorf("atomdav healthcheck %s: exit status %d, want %d\n%s", tt.url, code, tt.code, stderr)
		}
	}
}

// debVersion is VERSION as make deb turns it into a Debian version.
func debVersion(v string) string {
	if regexp.MustCompile(`^v[0-9]`).MatchString(v) {
		v = v[1:]
	}
	if !regexp.MustCompile(`^[0-9]+\.`).MatchString(v) {
		v = "0.0.0+git" + v
	}
	return strings.ReplaceAll(v, "-", ".")
}

// buildDeb runs make deb into a temporary folder and returns the package.
// nfpm comes from the Go module proxy: without it (no network) the test
// skips, saying so, unless CI=true.
func buildDeb(t *testing.T) string {
	t.Helper()
	dist := t.TempDir()
	out, err := exec.Command("make", "-s", "-C", repoRoot, "deb", "DIST="+dist).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("proxy.golang.org")) || bytes.Contains(out, []byte("dial tcp")) {
			if os.Getenv("CI") == "true" {
				t.Fatalf("make deb cannot fetch nfpm and CI=true:\n%s", out)
			}
			t.Skipf("make deb cannot fetch nfpm from the Go module proxy:\n%s", out)
		}
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make deb made %v, want one .deb\n%s", debs, out)
	}
	return debs[0]
}

// TestDeb: make deb builds a package whose control fields are right, that
// installs (dpkg -x into a temporary root) the static binary, the systemd
// unit, the logrotate file and the configuration (a conffile) as they are
// in internal/packaging, whose postinst creates the atomdav user only
// when missing, whose unit systemd accepts and whose configuration atomdav
// accepts once a way in is given.
func TestDeb(t *testing.T) {
	t.Parallel()
	testbin.NeedTool(t, "make", "make")
	testbin.NeedTool(t, "dpkg-deb", "dpkg")
	deb := buildDeb(t)
	info := run(t, "dpkg-deb", "-I", deb)
	fields := map[string]string{"Package": "atomdav", "Architecture": runtime.GOARCH, "Depends": "adduser", "Section": "net"}
	if v := gitVersion(t); v != "" {
		fields["Version"] = debVersion(v)
	}
	for k, v := range fields {
		if !regexp.MustCompile(`(?m)^ ` + k + `: ` + regexp.QuoteMeta(v) + `$`).MatchString(info) {
			t.Errorf("dpkg-deb -I: no %s: %s in\n%s", k, v, info)
		}
	}
	listing := run(t, "dpkg-deb", "-c", deb)
	for _, want := range []string{`^-rwxr-xr-x root/root .* \./usr/bin/atomdav$`, `\./usr/lib/systemd/system/atomdav\.service$`,
		`\./etc/logrotate\.d/atomdav$`, `^-rw-r----- root/root .* \./etc/atomdav/atomdav\.yaml$`} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(listing) {
			t.Errorf("dpkg-deb -c: nothing matches %s in\n%s", want, listing)
		}
	}
	ctl := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, ctl)
	wantFile(t, filepath.Join(ctl, "conffiles"), "/etc/atomdav/atomdav.yaml\n/etc/logrotate.d/atomdav\n")
	for _, script := range []string{"postinst", "prerm", "postrm"} {
		run(t, "sh", "-n", filepath.Join(ctl, script))
	}
	postinst, _ := os.ReadFile(filepath.Join(ctl, "postinst"))
	for _, want := range []string{"getent passwd atomdav", "adduser --system", "useradd --system", "/var/lib/atomdav"} {
		if !strings.Contains(string(postinst), want) {
			t.Errorf("postinst does not contain %q", want)
		}
	}

	root := t.TempDir()
	run(t, "dpkg", "-x", deb, root)
	for dst, src := range map[string]string{
		"usr/lib/systemd/system/atomdav.service": "atomdav.service",
		"etc/logrotate.d/atomdav":                "atomdav.logrotate",
		"etc/atomdav/atomdav.yaml":               "atomdav.yaml",
	} {
		want, err := os.ReadFile(filepath.Join(repoRoot, "internal/packaging", src))
		if err != nil {
			t.Fatal(err)
		}
		wantFile(t, filepath.Join(root, dst), string(want))
	}
	bin := filepath.Join(root, "usr/bin/atomdav")
	wantStatic(t, bin)
	if v := run(t, bin, "version"); !strings.HasPrefix(v, "atomdav ") || strings.HasPrefix(v, "atomdav devel") {
		t.Errorf("the packaged binary's version: %q", v)
	}
	t.Run("postinst", func(t *testing.T) { checkPostinst(t, filepath.Join(ctl, "postinst")) })
	t.Run("config", func(t *testing.T) { checkPackagedConfig(t, bin, filepath.Join(root, "etc/atomdav/atomdav.yaml")) })
	t.Run("systemd-analyze", func(t *testing.T) { verifyUnit(t, root) })
}

// checkPostinst runs the package's postinst against stand-ins for the
// commands it calls, which record their arguments: on a first install it
// creates the atomdav group and system user (with useradd where adduser
// fails) and gives the configuration to its group; run again with the
// user there (an upgrade) it creates nothing.
func checkPostinst(t *testing.T, postinst string) {
	bin := t.TempDir()
	for _, name := range []string{"getent", "addgroup", "groupadd", "adduser", "useradd", "install", "chgrp", "chmod", "systemctl"} {
		script := "#!/bin/sh\necho \"" + name + " $*\" >>\"$CALLS\"\n"
		switch name {
		case "getent":
			script += "exit $GETENT\n"
		case "adduser":
			script += "exit $ADDUSER\n"
		}
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runPostinst := func(getent, adduser string, args ...string) string {
		calls := filepath.Join(t.TempDir(), "calls")
		cmd := exec.Command("/bin/sh", append([]string{postinst}, args...)...)
		cmd.Env = []string{"PATH=" + bin, "CALLS=" + calls, "GETENT=" + getent, "ADDUSER=" + adduser}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("postinst %v: %v\n%s", args, err, out)
		}
		b, _ := os.ReadFile(calls)
		return string(b)
	}
	first := runPostinst("2", "0", "configure", "")
	for _, want := range []string{"addgroup --system atomdav", "adduser --system --ingroup atomdav --home /var/lib/atomdav",
		"chgrp atomdav /etc/atomdav/atomdav.yaml", "chmod 0640 /etc/atomdav/atomdav.yaml",
		"install -m 0640 -g atomdav /dev/null /etc/atomdav/users"} {
		if !strings.Contains(first, "\n"+want) && !strings.HasPrefix(first, want) {
			t.Errorf("a first install does not run %q:\n%s", want, first)
		}
	}
	if fallback := runPostinst("2", "1", "configure", ""); !strings.Contains(fallback, "useradd --system --gid atomdav") {
		t.Errorf("without a working adduser, postinst does not use useradd:\n%s", fallback)
	}
	again := runPostinst("0", "0", "configure", "0.0.0+gitold")
	for _, not := range []string{"addgroup", "groupadd", "adduser", "useradd", "chgrp", "chmod"} {
		if strings.Contains(again, not+" ") {
			t.Errorf("an upgrade, the user being there, runs %s:\n%s", not, again)
		}
	}
}

// checkPackagedConfig: the packaged configuration is valid as it stands
// but serves nobody until users (or anonymous access) are added; the
// user add its postinst message names makes it serve.
func checkPackagedConfig(t *testing.T, bin, config string) {
	share, state := t.TempDir(), t.TempDir()
	users := filepath.Join(t.TempDir(), "users") // as postinst makes it: empty
	if err := os.WriteFile(users, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	args := []string{"config", "check", "--config", config, "--state", state, "--users-file", users, share}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "users:") {
		t.Errorf("the packaged configuration without users: %v\n%s", err, out)
	}
	add := exec.Command(bin, "user", "add", "alice", "--cost", "4", "--users-file", users)
	add.Stdin = strings.NewReader("a long enough password\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("atomdav user add: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Errorf("the packaged configuration once a user was added: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, append(args, "--anonymous")...).CombinedOutput(); err != nil {
		t.Errorf("the packaged configuration with --anonymous: %v\n%s", err, out)
	}
}

// verifyUnit runs systemd-analyze verify on the packaged unit, with
// ExecStart pointing at the packaged binary (the one systemd looks for is
// not installed here); any complaint fails.
func verifyUnit(t *testing.T, root string) {
	testbin.NeedTool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/atomdav.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nType=notify\n", "\nExecReload=/bin/kill -HUP $MAINPID\n", "\nUser=atomdav\n",
		"\nProtectSystem=strict\n", "\nNoNewPrivileges=yes\n", "\nPrivateTmp=yes\n", "\nReadWritePaths=/srv/atomdav\n", "\nStateDirectory=atomdav\n"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("the unit has no %q", strings.TrimSpace(want))
		}
	}
	path := filepath.Join(t.TempDir(), "atomdav.service")
	unit = bytes.ReplaceAll(unit, []byte("ExecStart=/usr/bin/atomdav "), []byte("ExecStart="+filepath.Join(root, "usr/bin/atomdav")+" "))
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("atomdav.service")) {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// run runs a command and returns its output; a failure fails the test.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// wantFile fails the test unless the file at path holds want.
func wantFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s holds\n%s\nwant\n%s", path, got, want)
	}
}

// dockerWorks reports whether a container runtime answers: the docker
// client alone (without a daemon) is not enough.
func dockerWorks() (bool, string) {
	if _, err := exec.LookPath("docker"); err != nil {
		return false, "no docker client"
	}
	out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		return false, fmt.Sprintf("docker info: %v: %s", err, bytes.TrimSpace(out))
	}
	return true, ""
}

// TestDockerImage: make docker builds an image that runs as a non-root
// user, serves its /data volume on the published port 8080, reports
// healthy through its HEALTHCHECK (atomdav healthcheck on /healthz) and
// knows its version. It runs only where a container runtime works: the
// issue asks for it there, and skips it elsewhere even with CI=true.
func TestDockerImage(t *testing.T) {
	t.Parallel()
	if ok, why := dockerWorks(); !ok {
		t.Skipf("no container runtime (%s): the image is not built", why)
	}
	testbin.NeedTool(t, "make", "make")
	image := "atomdav-test:" + rand.Text()[:12]
	image = strings.ToLower(image)
	runMake(t, "docker", "IMAGE="+image)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	user := strings.TrimSpace(run(t, "docker", "image", "inspect", "--format", "{{.Config.User}}", image))
	if user == "" || user == "0" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0:") {
		t.Errorf("the image runs as %q, want a non-root user", user)
	}
	id := strings.TrimSpace(run(t, "docker", "run", "-d", "-p", "127.0.0.1::8080", "-e", "ATOMDAV_ANONYMOUS=true", image))
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	port := strings.TrimSpace(run(t, "docker", "port", id, "8080/tcp"))
	port = strings.TrimSpace(strings.SplitN(port, "\n", 2)[0])
	s := &server{t: t, Addr: port, URL: "http://" + port, client: newClient()}
	deadline := time.Now().Add(90 * time.Second)
	for {
		health := strings.TrimSpace(run(t, "docker", "inspect", "--format", "{{.State.Health.Status}}", id))
		if health == "healthy" {
			break
		}
		if time.Now().After(deadline) || health == "unhealthy" {
			logs, _ := exec.Command("docker", "logs", id).CombinedOutput()
			t.Fatalf("the container's health is %q\n%s", health, logs)
		}
		time.Sleep(time.Second)
	}
	s.put(t, "/hello.txt", "from the container")
	if r := s.do(t, "GET", "/hello.txt", ""); r.Status != http.StatusOK || string(r.Body) != "from the container" {
		t.Errorf("GET /hello.txt: %s", r)
	}
	if v := run(t, "docker", "exec", id, "/atomdav", "version"); !strings.HasPrefix(v, "atomdav ") || strings.HasPrefix(v, "atomdav devel") {
		t.Errorf("the image's version: %q", v)
	}
	sc := bufio.NewScanner(strings.NewReader(run(t, "docker", "image", "inspect", "--format", "{{json .Config.Volumes}} {{json .Config.ExposedPorts}}", image)))
	for sc.Scan() {
		if !strings.Contains(sc.Text(), `"/data"`) || !strings.Contains(sc.Text(), `"8080/tcp"`) {
			t.Errorf("volumes and ports: %s, want /data and 8080/tcp", sc.Text())
		}
	}
}

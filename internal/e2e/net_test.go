package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/testbin"
)

// netPair is a self-signed certificate for 127.0.0.1 and its key.
type netPair struct {
	cert            *x509.Certificate
	certPEM, keyPEM []byte
}

// newNetPair makes a fresh self-signed certificate for 127.0.0.1 named cn.
func newNetPair(t *testing.T, cn string) netPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return netPair{
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
}

// write puts the pair in certFile and keyFile, each replaced atomically.
func (p netPair) write(t *testing.T, certFile, keyFile string) {
	t.Helper()
	for _, f := range []struct {
		name string
		data []byte
	}{{keyFile, p.keyPEM}, {certFile, p.certPEM}} {
		if err := os.WriteFile(f.name+".tmp", f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f.name+".tmp", f.name); err != nil {
			t.Fatal(err)
		}
	}
}

// startNet starts atomdav serving dir with exactly args after
// "serve DIR --addr ADDR" (so no --anonymous unless args has it), talking
// to it over https with clientTLS when that is set, else over http. It is
// ready once OPTIONS / answers on a connection that is then closed (so it
// holds no slot of --max-conns); cleanup stops it and checks it exits 0.
func startNet(t *testing.T, dir string, clientTLS *tls.Config, args ...string) *server {
	t.Helper()
	return start(t, dir, clientTLS, args)
}

// servedSerial is the serial number of the certificate s presents now.
func servedSerial(s *server) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", s.Addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

// TestTLS serves HTTPS from a certificate and key, checks HTTP/2 is
// negotiated and WebDAV works over it, and that SIGHUP swaps in a new pair
// and keeps the old one when the files are bad.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir, keys := t.TempDir(), t.TempDir()
	certFile, keyFile := filepath.Join(keys, "cert.pem"), filepath.Join(keys, "key.pem")
	oldPair, newPair := newNetPair(t, "old"), newNetPair(t, "new")
	oldPair.write(t, certFile, keyFile)
	pool := x509.NewCertPool()
	pool.AddCert(oldPair.cert)
	pool.AddCert(newPair.cert)
	s := startNet(t, dir, &tls.Config{RootCAs: pool}, "--anonymous", "--tls-cert", certFile, "--tls-key", keyFile)

	t.Run("startup-log-says-https", func(t *testing.T) {
		// The server answers before its log line has surely been read
		// from its pipe: wait for the line (waitLog fails after 10 s).
		waitLog(t, s, "https://"+s.Addr+"/")
	})
	t.Run("HTTP/2-negotiated", func(t *testing.T) {
		req, _ := s.request("OPTIONS", "/", nil)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h2" {
			t.Errorf("OPTIONS over %s (TLS %v), want HTTP/2 negotiated as h2", resp.Proto, resp.TLS != nil)
		}
	})
	t.Run("RFC4918_9.1/PROPFIND-over-TLS", func(t *testing.T) {
		s.put(t, "/f.txt", "over TLS")
		if ms := s.propfind(t, "/", "1"); len(ms) != 2 {
			t.Errorf("PROPFIND Depth 1 of / over TLS: %d responses, want 2 (/ and /f.txt)", len(ms))
		}
	})
	t.Run("TLS-1.1-refused", func(t *testing.T) {
		conn, err := tls.Dial("tcp", s.Addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11})
		if err == nil {
			conn.Close()
			t.Error("a TLS 1.1 handshake succeeded, want TLS 1.2 at least")
		}
	})
	t.Run("SIGHUP-with-bad-files-keeps-the-certificate", func(t *testing.T) {
		if err := os.WriteFile(certFile, []byte("half-written"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.Output(), "not reloaded"); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no error logged for a failed reload:\n%s", s.Output())
			}
		}
		if got, err := servedSerial(s); err != nil || got != oldPair.cert.SerialNumber.String() {
			t.Errorf("after a failed reload serving serial %s (%v), want the old %s", got, err, oldPair.cert.SerialNumber)
		}
	})
	t.Run("SIGHUP-reloads-the-certificate", func(t *testing.T) {
		newPair.write(t, certFile, keyFile)
		if err := s.proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		serial := newPair.cert.SerialNumber.String()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			got, err := servedSerial(s)
			if err == nil && got == serial {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after SIGHUP serving serial %s (%v), want the new %s\nserver output:\n%s", got, err, serial, s.Output())
			}
		}
		s.client.CloseIdleConnections()
		want(t, s.do(t, "GET", "/f.txt", ""), http.StatusOK, "GET with the new certificate")
	})
}

// TestTLSBadCertificate checks atomdav refuses to start, naming the
// setting at fault, without a usable certificate.
func TestTLSBadCertificate(t *testing.T) {
	t.Parallel()
	keys := t.TempDir()
	good, other := newNetPair(t, "good"), newNetPair(t, "other")
	files := map[string][]byte{"cert.pem": good.certPEM, "key.pem": good.keyPEM, "other-key.pem": other.keyPEM, "garbage.pem": []byte("not PEM")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(keys, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, cert, key, want string }{
		{"missing-cert", "missing.pem", "key.pem", "tls-cert"},
		{"cert-not-PEM", "garbage.pem", "key.pem", "tls-cert"},
		{"key-of-another-cert", "cert.pem", "other-key.pem", "tls-cert"},
		{"missing-key", "cert.pem", "missing.pem", "tls-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, err := testbin.FreeAddr()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, binary, "serve", t.TempDir(), "--addr", addr, "--anonymous",
				"--tls-cert", filepath.Join(keys, tc.cert), "--tls-key", filepath.Join(keys, tc.key)).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("atomdav with a bad certificate: %v, want a non-zero exit\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("the error does not name %s:\n%s", tc.want, out)
			}
		})
	}
}

// netConfig is a configuration file with one user, alice, password secret.
const netConfig = `users:
  - name: alice
    hash: "$2a$04$CLKsIhYerLv4q70yE1cjWOu291tgx.c7gN1usJm63QQJBu6D7ne4S"
`

// TestCORS checks a browser page on an allowed origin may use the share,
// that its preflight is answered before authentication, and that other
// origins get no CORS headers.
func TestCORS(t *testing.T) {
	t.Parallel()
	const app = "https://app.example"
	cfg := filepath.Join(t.TempDir(), "atomdav.yaml")
	if err := os.WriteFile(cfg, []byte(netConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startNet(t, t.TempDir(), nil, "--config", cfg, "--cors-origins", app)
	preflight := []string{"Access-Control-Request-Method", "PROPFIND", "Access-Control-Request-Headers", "depth, content-type, x-requested-with"}

	t.Run("preflight-allowed-origin-204-without-credentials", func(t *testing.T) {
		r := s.do(t, "OPTIONS", "/docs/", "", append([]string{"Origin", app}, preflight...)...)
		want(t, r, http.StatusNoContent, "preflight from "+app)
		for k, v := range map[string]string{
			"Access-Control-Allow-Origin":      app,
			"Access-Control-Allow-Credentials": "true",
		} {
			if got := r.Header.Get(k); got != v {
				t.Errorf("%s: %q, want %q", k, got, v)
			}
		}
		for k, names := range map[string][]string{
			"Access-Control-Allow-Methods": {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"},
			"Access-Control-Allow-Headers": {"Authorization", "Content-Type", "Depth", "Destination", "Overwrite", "If", "If-Match", "If-None-Match", "Lock-Token", "Timeout", "X-Expected-Entity-Length", "x-requested-with"},
			"Vary":                         {"Origin"},
		} {
			got := map[string]bool{}
			for _, v := range strings.Split(strings.Join(r.Header.Values(k), ","), ",") {
				got[strings.ToLower(strings.TrimSpace(v))] = true
			}
			for _, n := range names {
				if !got[strings.ToLower(n)] {
					t.Errorf("%s %q lacks %s", k, r.Header.Values(k), n)
				}
			}
		}
		if r.Header.Get("Access-Control-Max-Age") == "" {
			t.Error("no Access-Control-Max-Age")
		}
	})
	t.Run("preflight-other-origin-no-CORS-headers", func(t *testing.T) {
		r := s.do(t, "OPTIONS", "/docs/", "", append([]string{"Origin", "https://evil.example"}, preflight...)...)
		for k := range r.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: %q sent to an origin not allowed", k, r.Header.Get(k))
			}
		}
	})
	t.Run("RFC4918_9.1/PROPFIND-from-allowed-origin", func(t *testing.T) {
		req, _ := s.request("PROPFIND", "/", strings.NewReader(propfindBody()), "Origin", app, "Depth", "0")
		req.SetBasicAuth("alice", "secret")
		r, err := s.sendRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		want(t, r, http.StatusMultiStatus, "PROPFIND as alice from "+app)
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Access-Control-Allow-Origin %q, want %q", got, app)
		}
		if exp := r.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(exp, "ETag") || !strings.Contains(exp, "DAV") {
			t.Errorf("Access-Control-Expose-Headers %q lacks ETag or DAV", exp)
		}
	})
	t.Run("refusal-readable-by-allowed-origin", func(t *testing.T) {
		r := s.do(t, "PROPFIND", "/", propfindBody(), "Origin", app, "Depth", "0")
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("%d without credentials: Access-Control-Allow-Origin %q, want %q (the page must see the refusal)", r.Status, got, app)
		}
	})
}

// TestTrustedProxy checks X-Forwarded-Host is believed from a trusted
// proxy only, so a COPY or MOVE Destination naming the public host works
// behind one (RFC 4918 §9.9: a Destination on another server is 502).
func TestTrustedProxy(t *testing.T) {
	t.Parallel()
	xfh := []string{"X-Forwarded-Host", "dav.example"}
	for _, tc := range []struct {
		name   string
		args   []string
		prefix string // the share's mount point
		dst    string // the Destination's scheme and host
		hdr    []string
		status int
	}{
		{"RFC4918_9.9/trusted-loopback-201", []string{"--trusted-proxies", "127.0.0.1"}, "", "http://dav.example", xfh, http.StatusCreated},
		{"RFC4918_9.9/trusted-cidr-with-prefix-and-https-201", []string{"--trusted-proxies", "127.0.0.0/8,10.0.0.0/8", "--prefix", "/dav"}, "/dav", "https://dav.example",
			append([]string{"X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.7"}, xfh...), http.StatusCreated},
		{"RFC4918_9.9/no-trusted-proxies-502", nil, "", "http://dav.example", xfh, http.StatusBadGateway},
		{"RFC4918_9.9/peer-not-trusted-502", []string{"--trusted-proxies", "10.0.0.0/8"}, "", "http://dav.example", xfh, http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, t.TempDir(), tc.args...)
			s.put(t, tc.prefix+"/a.txt", "moved")
			dst := tc.dst + tc.prefix + "/x.txt"
			r := s.do(t, "MOVE", tc.prefix+"/a.txt", "", append([]string{"Destination", dst}, tc.hdr...)...)
			want(t, r, tc.status, "MOVE to "+dst)
			if tc.status == http.StatusCreated {
				want(t, s.do(t, "GET", tc.prefix+"/x.txt", ""), http.StatusOK, "GET the moved file")
			}
		})
	}
}

// TestMaxConns checks --max-conns 1 makes a second connection wait while a
// first one is open, and serves it once the first closes.
func TestMaxConns(t *testing.T) {
	t.Parallel()
	s := startNet(t, t.TempDir(), nil, "--anonymous", "--max-conns", "1")
	first, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	// An answer on the first connection proves it holds the one slot; it
	// then stays open, idle, keeping it.
	first.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(first, "OPTIONS / HTTP/1.1\r\nHost: "+s.Addr+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	if n, err := first.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		t.Fatalf("first connection: %q, %v; want a 200", buf[:n], err)
	}

	get := func(timeout time.Duration) error {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get(s.URL + "/")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	err = get(700 * time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a second connection while the first is open: %v, want a client timeout", err)
	}
	first.Close()
	if err := get(10 * time.Second); err != nil {
		t.Errorf("once the first connection closed: %v, want an answer", err)
	}
}

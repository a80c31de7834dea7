package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomdav/atomdav/internal/config"
)

// writeKeyPair writes a fresh self-signed certificate for cn and its key
// as PEM files in dir and returns their paths.
func writeKeyPair(t *testing.T, dir, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     []string{cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key")
	writePEMFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writePEMFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile
}

func writePEMFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certA, keyA := writeKeyPair(t, dir, "a.example")
	_, keyB := writeKeyPair(t, dir, "b.example")
	garbage := filepath.Join(dir, "garbage.pem")
	writePEMFile(t, garbage, []byte("not PEM"))
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name, cert, key string
		wantErr         string // "" for success, else a prefix of the error
	}{
		{"good-pair", certA, keyA, ""},
		{"missing-cert", missing, keyA, "tls-cert: "},
		{"missing-key", certA, missing, "tls-key: "},
		{"cert-not-PEM", garbage, keyA, "tls-cert " + garbage},
		{"key-not-PEM", certA, garbage, "tls-cert " + certA},
		{"key-of-another-cert", certA, keyB, "tls-cert " + certA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert, err := loadCertificate(tc.cert, tc.key)
			switch {
			case tc.wantErr == "" && (err != nil || cert.Leaf == nil || cert.Leaf.Subject.CommonName != "a.example"):
				t.Errorf("loadCertificate: %v, %v; want a.example's pair", cert, err)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
				t.Errorf("loadCertificate: %v; want an error starting %q", err, tc.wantErr)
			}
		})
	}
}

// TestReloadCertificate checks a reload swaps in the new pair, and that a
// failed one keeps the old pair and logs why.
func TestReloadCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := writeKeyPair(t, dir, "old.example")
	var logs bytes.Buffer
	s := &Server{
		cfg: config.Config{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile},
		log: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	ln, err := s.listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := func() string { return s.tls.cert.Load().Leaf.Subject.CommonName }
	if cn := served(); cn != "old.example" {
		t.Fatalf("serving %s at start, want old.example", cn)
	}

	writePEMFile(t, certFile, []byte("half-written"))
	s.reloadCertificate()
	if cn := served(); cn != "old.example" {
		t.Errorf("after a failed reload serving %s, want old.example still", cn)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "tls-cert") {
		t.Errorf("a failed reload logged %q; want an error naming tls-cert", logs.String())
	}

	newCert, newKey := writeKeyPair(t, dir, "new.example")
	for _, f := range [][2]string{{newCert, certFile}, {newKey, keyFile}} {
		if err := os.Rename(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	s.reloadCertificate()
	if cn := served(); cn != "new.example" {
		t.Errorf("after a reload serving %s, want new.example", cn)
	}
}

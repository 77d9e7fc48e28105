package testpki

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGenerate writes a set and checks it: chains, uses, host names, key
// formats and file modes; then that Check notices an expiring set.
func TestGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	hosts := []string{"127.0.0.1", "localhost"}
	now := time.Now()
	if err := Generate(dir, hosts, now, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := Check(dir, hosts, now.Add(24*time.Hour)); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := Check(dir, hosts, now.Add(31*24*time.Hour)); err == nil {
		t.Fatal("check accepted a set that will have expired")
	}
	if err := Check(dir, []string{"example.com"}, now); err == nil {
		t.Fatal("check accepted a server certificate for a host it does not name")
	}

	// The rogue client certificate is rejected by the real CA with an
	// unknown-authority error, like a TLS peer would.
	rogue := readCert(t, filepath.Join(dir, RogueCertFile))
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, filepath.Join(dir, CAFile)))
	_, err := rogue.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("rogue certificate against the CA: got %v, want an unknown authority", err)
	}
	for _, c := range []*x509.Certificate{rogue, readCert(t, filepath.Join(dir, ClientCertFile))} {
		if c.Subject.String() != "CN="+ClientCN {
			t.Errorf("client subject %q, want CN=%s", c.Subject, ClientCN)
		}
	}

	for _, f := range allFiles {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, f))
		isKey := strings.Contains(string(b), "PRIVATE KEY")
		if isKey && !strings.Contains(string(b), "-----BEGIN PRIVATE KEY-----") {
			t.Errorf("%s: key is not PKCS#8 PEM", f)
		}
		if isKey && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}

	// Generating again replaces the set (new CA).
	before := readCert(t, filepath.Join(dir, CAFile))
	if err := Generate(dir, hosts, now, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if readCert(t, filepath.Join(dir, CAFile)).Equal(before) {
		t.Fatal("a second Generate kept the CA")
	}
	if err := Check(dir, hosts, now); err != nil {
		t.Fatalf("check after regenerating: %v", err)
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

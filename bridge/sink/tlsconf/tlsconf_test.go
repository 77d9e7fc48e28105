package tlsconf

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/testpki"
)

func pki(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := testpki.Generate(dir, []string{"127.0.0.1"}, time.Now(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRoots(t *testing.T) {
	dir := pki(t)
	ca := filepath.Join(dir, testpki.CAFile)
	only, err := Client(config.TLSFiles{CAFile: ca}, ReplaceSystemRoots)
	if err != nil {
		t.Fatal(err)
	}
	added, err := Client(config.TLSFiles{CAFile: ca}, AddToSystemRoots)
	if err != nil {
		t.Fatal(err)
	}
	// The system pool is not inspectable; the added pool holds more.
	if n, m := len(only.RootCAs.Subjects()), len(added.RootCAs.Subjects()); n != 1 || m < n {
		t.Errorf("replace holds %d roots, add %d", n, m)
	}
	if none, _ := Client(config.TLSFiles{}, ReplaceSystemRoots); none.RootCAs != nil || none.GetClientCertificate != nil || none.MinVersion != tls.VersionTLS12 {
		t.Errorf("zero files: %+v", none)
	}
	if _, err := Client(config.TLSFiles{CAFile: filepath.Join(dir, testpki.ClientKeyFile)}, ReplaceSystemRoots); err == nil {
		t.Error("a key file was accepted as a CA file")
	}
}

func TestClientCertificateRotation(t *testing.T) {
	dir, next := pki(t), pki(t)
	cert, key := filepath.Join(dir, testpki.ClientCertFile), filepath.Join(dir, testpki.ClientKeyFile)
	c, err := Client(config.TLSFiles{CertFile: cert, KeyFile: key}, ReplaceSystemRoots)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() string {
		t.Helper()
		got, err := c.GetClientCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return got.Leaf.SerialNumber.String()
	}
	first := serial()

	// Half a rotation (a new certificate, the old key) keeps the last good
	// pair rather than failing the handshake.
	copyFile(t, filepath.Join(next, testpki.ClientCertFile), cert)
	if got := serial(); got != first {
		t.Errorf("a mismatched pair replaced the certificate: %s", got)
	}
	// The whole rotation is picked up.
	copyFile(t, filepath.Join(next, testpki.ClientKeyFile), key)
	if got := serial(); got == first {
		t.Error("the rotated certificate was not picked up")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// A later modification time even on coarse file systems.
	later := time.Now().Add(time.Duration(len(b)) * time.Millisecond)
	if err := os.Chtimes(to, later, later); err != nil {
		t.Fatal(err)
	}
}

// Package testpki writes a throwaway PKI for tests of the bridge's TLS:
// the secured listeners of the test broker (integration/kafka/kafka.sh with
// KAFKA_SECURE=1, through cmd/testpki) and the embedded brokers of the
// integration tests. Every key is generated fresh, lives only in a
// temporary or git-ignored directory and must never be committed.
//
// Generate writes into a directory (created 0700; keys 0600, certificates 0644):
//
//	ca.pem, ca-key.pem            the test CA (self-signed)
//	server.pem, server-key.pem    broker certificate for the hosts, signed by the CA
//	server-keystore.pem           server key + server certificate + CA, for Kafka's
//	                              ssl.keystore.type=PEM / ssl.keystore.location
//	client.pem, client-key.pem    client certificate CN=bridge, signed by the CA
//	other-ca.pem                  a second, unrelated CA (its key is not kept)
//	rogue-client.pem,             client certificate CN=bridge signed by the other
//	rogue-client-key.pem          CA: a certificate the broker must reject
//
// Keys are ECDSA P-256, PEM-encoded unencrypted PKCS#8 ("BEGIN PRIVATE
// KEY"), as Kafka's PEM key store requires. Certificates are valid from a
// day before now (clock skew) for the validity given. Check verifies a set
// already written.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// File names written into the directory.
const (
	CAFile             = "ca.pem"
	CAKeyFile          = "ca-key.pem"
	ServerCertFile     = "server.pem"
	ServerKeyFile      = "server-key.pem"
	ServerKeystoreFile = "server-keystore.pem"
	ClientCertFile     = "client.pem"
	ClientKeyFile      = "client-key.pem"
	OtherCAFile        = "other-ca.pem"
	RogueCertFile      = "rogue-client.pem"
	RogueKeyFile       = "rogue-client-key.pem"
)

// ClientCN is the common name of both client certificates.
const ClientCN = "bridge"

var allFiles = []string{
	CAFile, CAKeyFile, ServerCertFile, ServerKeyFile, ServerKeystoreFile,
	ClientCertFile, ClientKeyFile, OtherCAFile, RogueCertFile, RogueKeyFile,
}

type keyPair struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

// Generate writes a fresh set of files into dir, replacing any old ones.
func Generate(dir string, hosts []string, now time.Time, validity time.Duration) error {
	if len(hosts) == 0 {
		return errors.New("no hosts for the server certificate")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	notBefore, notAfter := now.Add(-24*time.Hour), now.Add(validity)

	ca, err := newCA("analytics-bridge test CA", notBefore, notAfter)
	if err != nil {
		return err
	}
	other, err := newCA("analytics-bridge unrelated test CA", notBefore, notAfter)
	if err != nil {
		return err
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0], Organization: []string{"analytics-bridge tests"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			server.IPAddresses = append(server.IPAddresses, ip)
		} else {
			server.DNSNames = append(server.DNSNames, h)
		}
	}
	srv, err := issue(server, ca, notBefore, notAfter)
	if err != nil {
		return err
	}
	cli, err := issue(clientTemplate(), ca, notBefore, notAfter)
	if err != nil {
		return err
	}
	rogue, err := issue(clientTemplate(), other, notBefore, notAfter)
	if err != nil {
		return err
	}

	srvKey, err := keyPEM(srv.key)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{CAFile, certPEM(ca), 0o644},
		{CAKeyFile, nil, 0o600},
		{ServerCertFile, certPEM(srv), 0o644},
		{ServerKeyFile, srvKey, 0o600},
		{ServerKeystoreFile, concat(srvKey, certPEM(srv), certPEM(ca)), 0o600},
		{ClientCertFile, certPEM(cli), 0o644},
		{ClientKeyFile, nil, 0o600},
		{OtherCAFile, certPEM(other), 0o644},
		{RogueCertFile, certPEM(rogue), 0o644},
		{RogueKeyFile, nil, 0o600},
	}
	keys := map[string]*ecdsa.PrivateKey{CAKeyFile: ca.key, ClientKeyFile: cli.key, RogueKeyFile: rogue.key}
	for _, f := range files {
		if k := keys[f.name]; k != nil {
			if f.data, err = keyPEM(k); err != nil {
				return err
			}
		}
		if err := writeFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

func clientTemplate() *x509.Certificate {
	// The subject is CN=bridge alone, so the broker's principal for it is
	// exactly "CN=bridge" before any ssl.principal.mapping.rules.
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: ClientCN},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func newCA(cn string, notBefore, notAfter time.Time) (*keyPair, error) {
	return create(&x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"analytics-bridge tests"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, nil)
}

func issue(tmpl *x509.Certificate, ca *keyPair, notBefore, notAfter time.Time) (*keyPair, error) {
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	tmpl.BasicConstraintsValid = true
	return create(tmpl, ca)
}

// create gives tmpl a fresh key and serial number and signs it with ca's
// key, or with its own when ca is nil (a self-signed CA).
func create(tmpl *x509.Certificate, ca *keyPair) (*keyPair, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	parent, signer, verb := tmpl, key, "creating"
	if ca != nil {
		parent, signer, verb = ca.cert, ca.key, "issuing"
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert: cert, der: der, key: key}, nil
}

func certPEM(k *keyPair) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.der})
}

// keyPEM is the unencrypted PKCS#8 encoding Kafka's PEM key store reads.
func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// writeFile replaces path atomically with data.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename: no such file
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Check verifies a set in dir: every file is present, the server and client
// certificates chain to ca.pem for their uses (the server's for each of
// hosts), the rogue one to other-ca.pem and not to ca.pem, each key matches
// its certificate, and all stay valid at least until validUntil.
func Check(dir string, hosts []string, validUntil time.Time) error {
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	for _, f := range allFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	roots, err := CertPool(filepath.Join(dir, CAFile))
	if err != nil {
		return err
	}
	otherRoots, err := CertPool(filepath.Join(dir, OtherCAFile))
	if err != nil {
		return err
	}
	leaf := func(certName, keyName string) (*x509.Certificate, error) {
		c, err := parseCert(read, certName)
		if err != nil {
			return nil, err
		}
		if err := matchKey(read, keyName, c); err != nil {
			return nil, err
		}
		return c, nil
	}
	var caCert *x509.Certificate
	for _, ca := range []string{CAFile, OtherCAFile} {
		c, err := parseCert(read, ca)
		if err != nil {
			return err
		}
		if c.NotAfter.Before(validUntil) {
			return fmt.Errorf("%s expires at %s", ca, c.NotAfter)
		}
		if ca == CAFile {
			caCert = c
		}
	}
	verify := func(c *x509.Certificate, name string, roots *x509.CertPool, usage x509.ExtKeyUsage, host string) error {
		_, err := c.Verify(x509.VerifyOptions{
			Roots: roots, DNSName: host, CurrentTime: validUntil, KeyUsages: []x509.ExtKeyUsage{usage},
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		_, err = c.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}

	srv, err := leaf(ServerCertFile, ServerKeyFile)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if err := verify(srv, ServerCertFile, roots, x509.ExtKeyUsageServerAuth, h); err != nil {
			return err
		}
	}
	if err := checkKeystore(read, srv); err != nil {
		return err
	}
	cli, err := leaf(ClientCertFile, ClientKeyFile)
	if err != nil {
		return err
	}
	if err := verify(cli, ClientCertFile, roots, x509.ExtKeyUsageClientAuth, ""); err != nil {
		return err
	}
	rogue, err := leaf(RogueCertFile, RogueKeyFile)
	if err != nil {
		return err
	}
	if err := verify(rogue, RogueCertFile, otherRoots, x509.ExtKeyUsageClientAuth, ""); err != nil {
		return err
	}
	if verify(rogue, RogueCertFile, roots, x509.ExtKeyUsageClientAuth, "") == nil {
		return fmt.Errorf("%s verifies against %s", RogueCertFile, CAFile)
	}
	return matchKey(read, CAKeyFile, caCert)
}

func parseCert(read func(string) ([]byte, error), name string) (*x509.Certificate, error) {
	b, err := read(name)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", name)
	}
	return x509.ParseCertificate(blk.Bytes)
}

// CertPool holds the PEM certificates of file, which must hold one at
// least.
func CertPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no certificate", file)
	}
	return p, nil
}

// readKey reads the first PEM block of name as an unencrypted PKCS#8 key;
// it returns the file's contents too.
func readKey(read func(string) ([]byte, error), name string) (*ecdsa.PrivateKey, []byte, error) {
	b, err := read(name)
	if err != nil {
		return nil, nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, nil, fmt.Errorf("%s: no PKCS#8 PEM key (BEGIN PRIVATE KEY)", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("%s: not an ECDSA key", name)
	}
	return ek, b, nil
}

func matchKey(read func(string) ([]byte, error), name string, c *x509.Certificate) error {
	k, _, err := readKey(read, name)
	if err != nil {
		return err
	}
	if !k.PublicKey.Equal(c.PublicKey) {
		return fmt.Errorf("%s does not match its certificate", name)
	}
	return nil
}

// checkKeystore: the key store holds the server key, then the server
// certificate, then the CA.
func checkKeystore(read func(string) ([]byte, error), srv *x509.Certificate) error {
	k, b, err := readKey(read, ServerKeystoreFile)
	if err != nil {
		return err
	}
	if !k.PublicKey.Equal(srv.PublicKey) {
		return fmt.Errorf("%s: the key does not match %s", ServerKeystoreFile, ServerCertFile)
	}
	var certs []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return fmt.Errorf("%s: %w", ServerKeystoreFile, err)
			}
			certs = append(certs, c)
		}
	}
	if len(certs) != 2 || !certs[0].Equal(srv) || certs[1].CheckSignatureFrom(certs[1]) != nil || certs[0].CheckSignatureFrom(certs[1]) != nil {
		return fmt.Errorf("%s: want the server certificate followed by its CA", ServerKeystoreFile)
	}
	return nil
}

// Package tlsconf owns the bridge's TLS client configurations: it builds a
// *tls.Config from PEM files (config.TLSFiles) and re-reads a client
// certificate when its files change, so that a rotated certificate (a
// renewed Kubernetes Secret) is presented on the next connection without a
// restart. It also builds the HTTP transports that carry such a
// configuration beside the proxy settings.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// Roots says what a CA file does to the trusted roots.
type Roots int

const (
	// ReplaceSystemRoots trusts only the CA file (Kafka: a cluster's own CA,
	// as a Java truststore would).
	ReplaceSystemRoots Roots = iota
	// AddToSystemRoots trusts the CA file and the system roots (the upstream:
	// its OAuth2 endpoint may be public while the stream is private).
	AddToSystemRoots
)

// Client returns a client TLS configuration for f. It reads the files now,
// so that a bad file fails at start; a client certificate is read again
// whenever its files change.
func Client(f config.TLSFiles, roots Roots) (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         f.ServerName,
		InsecureSkipVerify: f.InsecureSkipVerify, //nolint:gosec // an explicit, logged operator choice
	}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if roots == AddToSystemRoots {
			if sys, err := x509.SystemCertPool(); err == nil {
				pool = sys
			}
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", f.CAFile)
		}
		c.RootCAs = pool
	}
	if f.CertFile != "" {
		kp := &keyPair{certFile: f.CertFile, keyFile: f.KeyFile}
		if _, err := kp.get(); err != nil {
			return nil, err
		}
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return kp.get()
		}
	}
	return c, nil
}

// keyPair is a client certificate loaded from files, reloaded when either
// file's size or modification time changes. A reload that fails (a
// rotation caught half-written) keeps presenting the last good pair.
type keyPair struct {
	certFile, keyFile string

	mu      sync.Mutex
	stamp   [2]fileStamp
	current *tls.Certificate
}

type fileStamp struct {
	size    int64
	modTime time.Time
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), modTime: fi.ModTime()}, nil
}

func (k *keyPair) get() (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	certStamp, errCert := stampOf(k.certFile)
	keyStamp, errKey := stampOf(k.keyFile)
	if err := errors.Join(errCert, errKey); err != nil {
		if k.current != nil {
			return k.current, nil
		}
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	stamp := [2]fileStamp{certStamp, keyStamp}
	if k.current != nil && stamp == k.stamp {
		return k.current, nil
	}
	pair, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		if k.current != nil {
			return k.current, nil
		}
		return nil, fmt.Errorf("client certificate %s with key %s: %w", k.certFile, k.keyFile, err)
	}
	k.current, k.stamp = &pair, stamp
	return k.current, nil
}

// HTTPTransport is Go's default transport with tc (nil: Go's default TLS)
// and the proxy settings, which are asked about the URL the transport is
// given.
func HTTPTransport(tc *tls.Config, proxy httpproxy.Config) *http.Transport {
	proxyFor := proxy.ProxyFunc()
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	t.Proxy = func(req *http.Request) (*url.URL, error) { return proxyFor(req.URL) }
	return t
}

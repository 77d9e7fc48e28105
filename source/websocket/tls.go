package websocket

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/tlsconf"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// handshakeTimeout bounds one WebSocket handshake (the token is fetched
// before it, under tokenFetchTimeout).
const handshakeTimeout = 30 * time.Second

// newUpstreamTransport is the one HTTP transport of the upstream side: the
// WebSocket handshake and the OAuth2 token endpoint both go through it, so
// ANALYTICS_CA_FILE, the client certificate (re-read when its files
// change) and HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply to both alike.
//
// The proxy sees the URL the transport is asked for: the WebSocket library
// turns wss:// into https:// (ws:// into http://) before the request
// reaches it, so HTTPS_PROXY is the one that applies to a wss:// upstream.
func newUpstreamTransport(u config.Upstream) (*http.Transport, error) {
	tc, err := tlsconf.Client(u.TLS, tlsconf.AddToSystemRoots)
	if err != nil {
		return nil, fmt.Errorf("upstream TLS: %s: %w", tlsFilesVariable(u.TLS), err)
	}
	return tlsconf.HTTPTransport(tc, u.Proxy), nil
}

// tlsFilesVariable names the variable whose file tlsconf.Client could not
// use: the CA file when it alone fails, else the certificate or the key
// when one is missing, else the pair (unreadable, or not matching).
func tlsFilesVariable(f config.TLSFiles) string {
	if _, err := tlsconf.Client(config.TLSFiles{CAFile: f.CAFile}, tlsconf.AddToSystemRoots); err != nil || f.CertFile == "" {
		return "ANALYTICS_CA_FILE"
	}
	if _, err := os.Stat(f.CertFile); err != nil {
		return "ANALYTICS_TLS_CERT_FILE"
	}
	if _, err := os.Stat(f.KeyFile); err != nil {
		return "ANALYTICS_TLS_KEY_FILE"
	}
	return "ANALYTICS_TLS_CERT_FILE / ANALYTICS_TLS_KEY_FILE"
}

// explainTLS names what to fix when err is a TLS failure between the
// bridge and peer ("the upstream", "the OAuth2 endpoint"), or returns ""
// for any other error. The cause itself stays in the error.
func explainTLS(err error, f config.TLSFiles, peer string) string {
	switch problem, _ := tlsconf.Diagnose(err); problem {
	case tlsconf.UnknownAuthority:
		if f.CAFile != "" {
			return peer + "'s TLS certificate is not trusted: neither ANALYTICS_CA_FILE nor the system roots hold the CA that signs it"
		}
		return peer + "'s TLS certificate is not trusted: set ANALYTICS_CA_FILE to the PEM certificate of the CA that signs it"
	case tlsconf.WrongHost:
		return peer + "'s TLS certificate is not valid for the host name in its URL"
	case tlsconf.InvalidCertificate:
		return peer + "'s TLS certificate has expired or is not valid yet (or a clock is wrong)"
	case tlsconf.ClientCertRefused:
		if f.CertFile == "" {
			return peer + " requires a TLS client certificate: set ANALYTICS_TLS_CERT_FILE and ANALYTICS_TLS_KEY_FILE"
		}
		return peer + " refused the TLS client certificate of ANALYTICS_TLS_CERT_FILE"
	case tlsconf.ClientCAUnknown:
		return peer + " does not trust the CA that signs the TLS client certificate of ANALYTICS_TLS_CERT_FILE"
	case tlsconf.ClientCertExpired:
		return peer + " refused the TLS client certificate of ANALYTICS_TLS_CERT_FILE as expired or revoked"
	}
	return ""
}

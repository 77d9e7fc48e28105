package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
)

// Problem is why a TLS handshake failed, as far as an operator can fix it.
// Diagnose finds it; each caller words it with the settings it has (the
// Kafka and the upstream side name different variables).
type Problem int

// Problems Diagnose tells apart.
const (
	NoProblem          Problem = iota
	UnknownAuthority           // the peer's certificate is not signed by a CA we trust
	WrongHost                  // the peer's certificate is not valid for the name we dialled
	InvalidCertificate         // the peer's certificate is expired, not yet valid, or not for servers
	NotTLS                     // the peer does not speak TLS
	ClientCertRefused          // the peer wants a client certificate, or refused ours
	ClientCAUnknown            // the peer does not trust the CA that signs our client certificate
	ClientCertExpired          // the peer refused our client certificate as expired or revoked
)

// Alerts a peer sends about our client certificate. Go reports a remote
// alert by text only ("remote error: tls: bad certificate"), sometimes
// behind clients that wrap errors without %w, so the text is what is
// matched. tls.AlertError prints the same text as the unexported alert
// type.
var clientAlerts = map[string]Problem{
	tls.AlertError(42).Error():  ClientCertRefused, // bad certificate
	tls.AlertError(43).Error():  ClientCertRefused, // unsupported certificate
	tls.AlertError(116).Error(): ClientCertRefused, // certificate required
	tls.AlertError(49).Error():  ClientCertRefused, // access denied
	tls.AlertError(48).Error():  ClientCAUnknown,   // unknown certificate authority
	tls.AlertError(46).Error():  ClientCAUnknown,   // unknown certificate
	tls.AlertError(45).Error():  ClientCertExpired, // certificate expired
	tls.AlertError(44).Error():  ClientCertExpired, // certificate revoked
}

// Diagnose returns the problem behind a failed TLS handshake, with the
// host name the peer's certificate does not hold for WrongHost; NoProblem
// when err is no TLS failure an operator can fix.
func Diagnose(err error) (Problem, string) {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var notTLS tls.RecordHeaderError
	switch {
	case err == nil:
		return NoProblem, ""
	case errors.As(err, &unknownCA): // also inside a *tls.CertificateVerificationError
		return UnknownAuthority, ""
	case errors.As(err, &hostname):
		return WrongHost, hostname.Host
	case errors.As(err, &invalid):
		return InvalidCertificate, ""
	case errors.As(err, &notTLS):
		return NotTLS, ""
	}
	msg := err.Error()
	for alert, problem := range clientAlerts {
		if strings.Contains(msg, "remote error: "+alert) {
			return problem, ""
		}
	}
	return NoProblem, ""
}

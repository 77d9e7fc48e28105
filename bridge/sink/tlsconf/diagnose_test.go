package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"testing"
)

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Problem
		host string
	}{
		{"nil", nil, NoProblem, ""},
		{"unrelated", errors.New("connection refused"), NoProblem, ""},
		{"unknown CA, wrapped", fmt.Errorf("dial: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), UnknownAuthority, ""},
		{"wrong host", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "kafka-0"}, WrongHost, "kafka-0"},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, InvalidCertificate, ""},
		{"plain listener", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, NotTLS, ""},
		{"certificate required, typed", &net.OpError{Op: "remote error", Err: tls.AlertError(116)}, ClientCertRefused, ""},
		{"bad certificate, as text only", errors.New("kafka: remote error: tls: bad certificate"), ClientCertRefused, ""},
		{"unknown CA alert", &net.OpError{Op: "remote error", Err: tls.AlertError(48)}, ClientCAUnknown, ""},
		{"revoked", errors.New("remote error: tls: revoked certificate"), ClientCertExpired, ""},
	}
	for _, tt := range tests {
		got, host := Diagnose(tt.err)
		if got != tt.want || host != tt.host {
			t.Errorf("%s: Diagnose = %v %q, want %v %q", tt.name, got, host, tt.want, tt.host)
		}
	}
}

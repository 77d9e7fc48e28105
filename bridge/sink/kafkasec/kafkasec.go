// Package kafkasec owns how the bridge proves who it is to Kafka and what
// it says when Kafka refuses: the TLS configuration, the SASL mechanism
// (PLAIN, SCRAM, an OAUTHBEARER mechanism fed by OAuth2 client
// credentials, which kafka-go lacks, and AWS_MSK_IAM with the AWS SDK's
// default credential chain), and the translation of authentication
// and authorization failures into one line naming the setting or the ACL
// to fix. Failures it explains are final: retrying them only hides a
// misconfiguration.
package kafkasec

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/tlsconf"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// Dial is what a kafka.Transport needs to reach a secured cluster; nil
// fields mean plaintext and no SASL.
type Dial struct {
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// New builds the TLS configuration and SASL mechanism cfg names. It reads
// the certificate files now, so a file that vanished since validation fails
// here, naming its variable. The OAuth2 token endpoint (OAUTHBEARER) is
// reached with the proxy settings of the upstream side, trusting
// KAFKA_SASL_OAUTH_CA_FILE beside the system roots.
func New(cfg config.Config) (Dial, error) {
	var d Dial
	sec := cfg.KafkaSecurity
	if sec.TLS != nil {
		c, err := tlsconf.Client(*sec.TLS, tlsconf.ReplaceSystemRoots)
		if err != nil {
			return Dial{}, fmt.Errorf("KAFKA_TLS_CA_FILE / KAFKA_TLS_CERT_FILE: %w", err)
		}
		d.TLS = c
	}
	switch m := sec.SASL; m.Mechanism {
	case config.SASLNone:
	case config.SASLOAuthBearer:
		var tc *tls.Config // nil: Go's default, the system roots
		if m.OAuth.CAFile != "" {
			c, err := tlsconf.Client(config.TLSFiles{CAFile: m.OAuth.CAFile}, tlsconf.AddToSystemRoots)
			if err != nil {
				return Dial{}, fmt.Errorf("KAFKA_SASL_OAUTH_CA_FILE: %w", err)
			}
			tc = c
		}
		transport := tlsconf.HTTPTransport(tc, cfg.Upstream.Proxy)
		d.SASL = newOAuthBearer(m.OAuth, &http.Client{Transport: transport, Timeout: tokenFetchTimeout})
	case config.SASLAWSMSKIAM:
		iam, err := newMSKIAM(m.AWS)
		if err != nil {
			return Dial{}, err
		}
		d.SASL = iam
	default:
		d.SASL = &passwordMechanism{mechanism: m.Mechanism, username: m.Username, password: m.Password, passwordFile: m.PasswordFile}
	}
	return d, nil
}

// passwordMechanism is PLAIN or SCRAM with the password read at each new
// connection when it comes from a file, so a rotated Secret is used without
// a restart.
type passwordMechanism struct {
	mechanism    config.SASLMechanism
	username     string
	password     string
	passwordFile string
}

func (p *passwordMechanism) Name() string { return string(p.mechanism) }

func (p *passwordMechanism) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	password := p.password
	if p.passwordFile != "" {
		b, err := os.ReadFile(p.passwordFile)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: reading KAFKA_SASL_PASSWORD_FILE: %w", errCredential, err)
		}
		password = strings.TrimSpace(string(b))
	}
	var (
		m   sasl.Mechanism
		err error
	)
	switch p.mechanism {
	case config.SASLPlain:
		m = plain.Mechanism{Username: p.username, Password: password}
	case config.SASLScramSHA256:
		m, err = scram.Mechanism(scram.SHA256, p.username, password)
	case config.SASLScramSHA512:
		m, err = scram.Mechanism(scram.SHA512, p.username, password)
	default:
		err = fmt.Errorf("KAFKA_SASL_MECHANISM %q is not supported", p.mechanism)
	}
	if err != nil {
		// scram refuses a user name or password that SASLprep rejects;
		// its message quotes neither.
		return nil, nil, fmt.Errorf("%w: KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD: %w", errCredential, err)
	}
	return m.Start(ctx)
}

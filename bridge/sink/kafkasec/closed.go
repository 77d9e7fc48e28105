package kafkasec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// AuthCloseLimit is how many attempts in a row to reach Kafka may end with
// the broker closing the connection in the middle of a SASL exchange
// before AuthCloses calls it a refusal. Some brokers (kfake, some managed
// endpoints) answer wrong credentials that way instead of with
// SASL_AUTHENTICATION_FAILED, and kafka-go then reports only
// "unexpected EOF", which looks like a network failure.
const AuthCloseLimit = 5

// probeTimeout bounds one probe connection.
const probeTimeout = 10 * time.Second

// AuthCloses tells a broker that closes the connection to refuse SASL
// credentials from one that is merely unreachable or restarting. kafka-go's
// client serves metadata from a cache its background refresh fills, so an
// attempt's error does not say which connection failed, or where. So after
// an attempt fails with an EOF (and only with SASL configured), AuthCloses
// dials one broker itself and watches the SASL exchange: it counts only
// when that exchange began and the broker closed the connection before it
// finished. A broker closing connections before authentication (starting
// or stopping), any other outcome, or a completed exchange starts the count
// again.
//
// Use one AuthCloses for the attempts to reach a cluster before the first
// success, from one goroutine.
type AuthCloses struct {
	cfg    config.Config
	dialer *kafka.Dialer // nil: no SASL, nothing to count
	watch  *authWatch
	count  int
	probes int
}

// NewAuthCloses watches attempts through t, the bridge's transport; one
// without SASL is never refused.
func NewAuthCloses(cfg config.Config, t kafka.RoundTripper) *AuthCloses {
	a := &AuthCloses{cfg: cfg, watch: &authWatch{}}
	if tr, ok := t.(*kafka.Transport); ok && tr.SASL != nil {
		a.dialer = &kafka.Dialer{ClientID: tr.ClientID, Timeout: probeTimeout, TLS: tr.TLS, SASLMechanism: watched{tr.SASL, a.watch}}
	}
	return a
}

// Observe takes an attempt's outcome. It returns a one-line refusal
// wrapping ErrDenied and err once AuthCloseLimit attempts in a row failed
// with an EOF that a probe showed to be the broker closing the connection
// during authentication, else nil.
func (a *AuthCloses) Observe(ctx context.Context, err error) error {
	if a.dialer == nil || err == nil || !(errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) || !a.probeCut(ctx) {
		a.count = 0
		return nil
	}
	if a.count++; a.count < AuthCloseLimit {
		return nil
	}
	return fmt.Errorf("%w: %s (%w)", ErrDenied, a.why(), err)
}

// probeCut dials the next broker and reports whether its SASL exchange
// began and was cut short.
func (a *AuthCloses) probeCut(ctx context.Context) bool {
	brokers := a.cfg.KafkaBrokers
	if len(brokers) == 0 {
		return false
	}
	broker := brokers[a.probes%len(brokers)]
	a.probes++
	begun, finished := a.watch.begun.Load(), a.watch.finished.Load()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := a.dialer.DialContext(ctx, "tcp", broker)
	if err == nil {
		_ = conn.Close()
		return false
	}
	return a.watch.begun.Load() > begun && a.watch.finished.Load() == finished
}

func (a *AuthCloses) why() string {
	sasl := a.cfg.KafkaSecurity.SASL
	check := fmt.Sprintf("check KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) of KAFKA_SASL_USERNAME=%s, that the user exists for KAFKA_SASL_MECHANISM=%s", sasl.Username, sasl.Mechanism)
	switch sasl.Mechanism {
	case config.SASLOAuthBearer:
		check = fmt.Sprintf("check the token of KAFKA_SASL_OAUTH_CLIENT_ID=%s, its scope (KAFKA_SASL_OAUTH_SCOPES) and KAFKA_SASL_OAUTH_EXTENSIONS against the broker's OAuth settings", sasl.OAuth.ClientID)
	case config.SASLAWSMSKIAM:
		check = "for KAFKA_SASL_MECHANISM=AWS_MSK_IAM, " + iamCheck(sasl.AWS)
	}
	return fmt.Sprintf("the broker closed the connection during SASL authentication %d times in a row, as some brokers answer wrong credentials: %s, and that the listener at KAFKA_BROKERS enables it",
		AuthCloseLimit, check)
}

// authWatch counts the SASL exchanges of the probes, begun and finished:
// one begun but never finished was cut short.
type authWatch struct{ begun, finished atomic.Int64 }

// watched wraps a SASL mechanism to count its exchanges.
type watched struct {
	sasl.Mechanism
	w *authWatch
}

func (m watched) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	sm, ir, err := m.Mechanism.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	m.w.begun.Add(1)
	return watchedSession{sm, m.w}, ir, nil
}

type watchedSession struct {
	sasl.StateMachine
	w *authWatch
}

func (s watchedSession) Next(ctx context.Context, challenge []byte) (bool, []byte, error) {
	done, resp, err := s.StateMachine.Next(ctx, challenge)
	if done || err != nil {
		s.w.finished.Add(1)
	}
	return done, resp, err
}

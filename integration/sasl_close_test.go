package integration_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/kafkasec"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
)

// scramClosingKafka is an embedded broker over TLS with SCRAM-SHA-512, which
// closes the connection on a wrong password.
func scramClosingKafka(t *testing.T) *securedKafka {
	t.Helper()
	pki := newPKI(t)
	c := embeddedCluster(t,
		kfake.TLS(serverTLS(t, pki, tls.NoClientCert)),
		kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", embeddedUser, embeddedPassword),
	)
	return &securedKafka{cluster: c, brokers: strings.Join(c.Brokers, ","), pki: pki, user: embeddedUser, pass: embeddedPassword}
}

// TestSASLCloseIsRefused: a broker that answers a wrong SCRAM password by
// closing the connection (kfake does, unlike Kafka, which answers
// SASL_AUTHENTICATION_FAILED first) reaches kafka-go as "unexpected EOF".
// The bridge must still stop, after kafkasec.AuthCloseLimit tries, with
// one line naming KAFKA_SASL_*, instead of retrying forever. Always the
// embedded broker: the behaviour under test is its.
func TestSASLCloseIsRefused(t *testing.T) {
	k := scramClosingKafka(t)
	refusal(t, k, func(e *config.Env) { k.secure(e, k.user, "wrong-password") },
		"the broker closed the connection during SASL authentication 5 times in a row, as some brokers answer wrong credentials: check KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) of KAFKA_SASL_USERNAME="+k.user+", that the user exists for KAFKA_SASL_MECHANISM=SCRAM-SHA-512")
	if kafkasec.AuthCloseLimit != 5 {
		t.Fatalf("the expected line counts 5 tries, the limit is %d", kafkasec.AuthCloseLimit)
	}
}

// TestCheckConnectReportsASASLClose: `check --connect` probes the same way
// and names the settings, where it printed "unexpected EOF".
func TestCheckConnectReportsASASLClose(t *testing.T) {
	bin := proctest.Build(t)
	k := scramClosingKafka(t)
	_, out, code := checkWrongPassword(t, bin, k)
	want := "failed  kafka: kafka refused the bridge: the broker closed the connection during SASL authentication 5 times in a row"
	if code != 1 || !strings.Contains(out, want) || strings.Contains(out, "wrong-password") {
		t.Fatalf("check --connect against a broker closing on a wrong password: exit %d\n%s\nwant a line with %q and no password", code, out, want)
	}
}

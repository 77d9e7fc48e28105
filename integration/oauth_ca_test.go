package integration_test

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// TestExactlyOnceOverOAuthBearerWithPrivateCA: the OAUTHBEARER token
// endpoint speaks https with a certificate only KAFKA_SASL_OAUTH_CA_FILE
// vouches for.
func TestExactlyOnceOverOAuthBearerWithPrivateCA(t *testing.T) {
	env := realSecureEnv(t)
	if env == nil {
		t.Skip("needs the real broker's OAUTHBEARER listener (kfake has no OAUTHBEARER): KAFKA_SECURE=1 kafka.sh start, then eval kafka.sh secure-env")
	}
	k := saslListener(t)
	tokens := httptest.NewTLSServer(unsecuredJWTHandler(env["KAFKA_TEST_OAUTH_SUBJECT"]))
	t.Cleanup(tokens.Close)
	caFile := filepath.Join(t.TempDir(), "token-endpoint-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tokens.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	streamExactlyOnce(t, k, func(e *config.Env) {
		k.secure(e, "", "")
		e.KafkaSASLMechanism = "OAUTHBEARER"
		e.KafkaOAuthTokenURL, e.KafkaOAuthClientID, e.KafkaOAuthClientSecret = tokens.URL+"/token", "bridge-client", "client-secret"
		e.KafkaOAuthScopes = "kafka"
		e.KafkaOAuthCAFile = caFile
	})
}

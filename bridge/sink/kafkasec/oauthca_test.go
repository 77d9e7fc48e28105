package kafkasec

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// TestOAuthBearerTrustsItsCAFile: a token endpoint whose certificate only
// KAFKA_SASL_OAUTH_CA_FILE vouches for is reached with it, and refused as
// unknown without it.
func TestOAuthBearerTrustsItsCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "token-endpoint-ca.pem")
	// httptest's certificate is self-signed: it is its own CA.
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(caFile string) ([]byte, error) {
		d, err := New(config.Config{KafkaSecurity: config.KafkaSecurity{SASL: config.SASL{Mechanism: config.SASLOAuthBearer,
			OAuth: config.OAuthClient{TokenURL: srv.URL + "/token", ClientID: "bridge-client", ClientSecret: "s", CAFile: caFile}}}})
		if err != nil {
			return nil, err
		}
		_, ir, err := d.SASL.Start(context.Background())
		return ir, err
	}

	ir, err := start(caFile)
	if err != nil {
		t.Fatalf("with KAFKA_SASL_OAUTH_CA_FILE: %v", err)
	}
	if !strings.Contains(string(ir), "auth=Bearer tok-1") {
		t.Fatalf("initial response %q does not carry the token", ir)
	}

	_, err = start("")
	var unknown x509.UnknownAuthorityError
	if !errors.Is(err, errTokenFetch) || !errors.As(err, &unknown) {
		t.Fatalf("without the CA file: %v, want a token fetch failing on an unknown authority", err)
	}

	if _, err := start(filepath.Join(t.TempDir(), "missing.pem")); err == nil || !strings.Contains(err.Error(), "KAFKA_SASL_OAUTH_CA_FILE") {
		t.Fatalf("a CA file that vanished after validation: %v, want an error naming KAFKA_SASL_OAUTH_CA_FILE", err)
	}
}

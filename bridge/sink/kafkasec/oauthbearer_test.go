package kafkasec

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// tokenServer is an OAuth2 client-credentials endpoint that issues
// numbered tokens to the client secret it currently accepts.
type tokenServer struct {
	*httptest.Server
	mu        sync.Mutex
	secret    string
	lifetime  int // expires_in seconds
	issued    int
	lastScope string
}

func newTokenServer(t *testing.T, secret string, lifetime int) *tokenServer {
	ts := &tokenServer{secret: secret, lifetime: lifetime}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		_, secret, _ := r.BasicAuth()
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if secret != ts.secret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		ts.issued++
		ts.lastScope = r.Form.Get("scope")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": "tok-" + strconv.Itoa(ts.issued), "token_type": "bearer", "expires_in": ts.lifetime,
		})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

func oauthConfig(url string) config.OAuthClient {
	return config.OAuthClient{TokenURL: url, ClientID: "bridge", ClientSecret: "s1", Scopes: []string{"kafka"},
		Extensions: map[string]string{"logicalCluster": "lkc-1", "identityPoolId": "pool-2"}}
}

func TestOAuthBearerInitialResponse(t *testing.T) {
	ts := newTokenServer(t, "s1", 3600)
	m := newOAuthBearer(oauthConfig(ts.URL), ts.Client())
	if m.Name() != "OAUTHBEARER" {
		t.Errorf("name %q", m.Name())
	}
	sess, ir, err := m.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// RFC 7628 3.1: gs2 header, kvsep, auth=Bearer token, extensions sorted
	// by name, then a final kvsep.
	want := "n,,\x01auth=Bearer tok-1\x01identityPoolId=pool-2\x01logicalCluster=lkc-1\x01\x01"
	if string(ir) != want {
		t.Errorf("initial response %q, want %q", ir, want)
	}
	if ts.lastScope != "kafka" {
		t.Errorf("scope %q, want kafka", ts.lastScope)
	}
	done, resp, err := sess.Next(context.Background(), nil)
	if !done || resp != nil || err != nil {
		t.Errorf("empty challenge: done=%v resp=%q err=%v, want success", done, resp, err)
	}
	_, _, err = sess.Next(context.Background(), []byte(`{"status":"invalid_token"}`))
	if !errors.Is(err, kafka.SASLAuthenticationFailed) || !strings.Contains(err.Error(), "invalid_token") {
		t.Errorf("error challenge gave %v, want SASLAuthenticationFailed naming the status", err)
	}

	// One token serves every connection while it is fresh.
	if _, ir, err := m.Start(context.Background()); err != nil || !strings.Contains(string(ir), "tok-1") {
		t.Errorf("second start: %q %v, want tok-1 again", ir, err)
	}
	if ts.count() != 1 {
		t.Errorf("%d tokens fetched, want 1", ts.count())
	}
}

func TestOAuthBearerRefreshesBeforeExpiry(t *testing.T) {
	// A token living less than refreshEarly is never reused.
	ts := newTokenServer(t, "s1", 10)
	m := newOAuthBearer(oauthConfig(ts.URL), ts.Client())
	for i := 1; i <= 3; i++ {
		_, ir, err := m.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want := "auth=Bearer tok-" + strconv.Itoa(i); !strings.Contains(string(ir), want) {
			t.Errorf("start %d: %q lacks %q", i, ir, want)
		}
	}
}

func TestOAuthBearerSecretFileIsReread(t *testing.T) {
	ts := newTokenServer(t, "s1", 10)
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("s1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := oauthConfig(ts.URL)
	c.ClientSecret, c.ClientSecretFile = "", file
	m := newOAuthBearer(c, ts.Client())
	if _, _, err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Rotate the secret at the endpoint and in the file.
	ts.mu.Lock()
	ts.secret = "s2"
	ts.mu.Unlock()
	if err := os.WriteFile(file, []byte("s2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Start(context.Background()); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	// A secret the endpoint refuses is explained as final.
	ts.mu.Lock()
	ts.secret = "s3"
	ts.mu.Unlock()
	_, _, err := m.Start(context.Background())
	if !errors.Is(err, errTokenFetch) {
		t.Fatalf("refused secret gave %v, want errTokenFetch", err)
	}
	cfg := config.Config{KafkaSecurity: config.KafkaSecurity{SASL: config.SASL{Mechanism: config.SASLOAuthBearer, OAuth: c}}}
	denied := Explain(err, cfg)
	if denied == nil || !strings.Contains(denied.Error(), "KAFKA_SASL_OAUTH_TOKEN_URL refused the client credentials (HTTP 401 invalid_client)") {
		t.Errorf("Explain = %v", denied)
	}
	if strings.Contains(denied.Error(), "s3") {
		t.Errorf("the explanation leaks the secret: %v", denied)
	}

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Start(context.Background()); !errors.Is(err, errCredential) {
		t.Errorf("missing secret file gave %v, want errCredential", err)
	}
}

func TestTokenEndpointDownIsRetried(t *testing.T) {
	ts := newTokenServer(t, "s1", 3600)
	url := ts.URL
	ts.Close()
	m := newOAuthBearer(oauthConfig(url), http.DefaultClient)
	_, _, err := m.Start(context.Background())
	if err == nil {
		t.Fatal("no error from a closed endpoint")
	}
	if denied := Explain(err, config.Config{}); denied != nil {
		t.Errorf("an unreachable token endpoint was called final: %v", denied)
	}
}

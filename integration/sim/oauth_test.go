package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// requestToken posts a client-credentials request; basic selects HTTP Basic
// credentials, else form fields.
func requestToken(t *testing.T, s *Server, id, secret string, basic bool, form url.Values) (*http.Response, []byte) {
	t.Helper()
	if form == nil {
		form = url.Values{"grant_type": {"client_credentials"}}
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if basic {
		req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), nil)
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		h.Set("Authorization", req.Header.Get("Authorization"))
	} else {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	return httpDo(t, http.MethodPost, s.TokenURL(), h, strings.NewReader(form.Encode()))
}

func TestOAuthEndpoint(t *testing.T) {
	s := newTestServer(t, Config{Rate: 500, TokenLifetime: 90 * time.Minute, ClientID: "id with space", ClientSecret: "s3cr:t"})

	for _, basic := range []bool{true, false} {
		resp, b := requestToken(t, s, "id with space", "s3cr:t", basic, nil)
		var tok tokenResponse
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &tok) != nil ||
			tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 5400 {
			t.Fatalf("basic=%v: %d %s", basic, resp.StatusCode, b)
		}
		dial(t, s, tok.AccessToken, "").events(2)
	}

	for _, tc := range []struct {
		name       string
		id, secret string
		basic      bool
		form       url.Values
		status     int
		code       string
	}{
		{"bad secret", "id with space", "nope", true, nil, 401, "invalid_client"},
		{"unknown client", "other", "s3cr:t", false, nil, 401, "invalid_client"},
		{"no credentials", "", "", false, nil, 401, "invalid_client"},
		{"no grant type", "id with space", "s3cr:t", true, url.Values{}, 400, "invalid_request"},
		{"wrong grant type", "id with space", "s3cr:t", true, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := requestToken(t, s, tc.id, tc.secret, tc.basic, tc.form)
			var e oauthError
			if resp.StatusCode != tc.status || json.Unmarshal(b, &e) != nil || e.Error != tc.code ||
				e.Description == "" || e.ErrorDescription != e.Description {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}

	resp, _ := httpDo(t, http.MethodGet, s.TokenURL(), nil, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET token: %d", resp.StatusCode)
	}
}

func TestTokenExpiresMidSession(t *testing.T) {
	const lifetime = time.Second
	s := newTestServer(t, Config{Rate: 500, TokenLifetime: lifetime})
	issued := time.Now()
	resp, b := requestToken(t, s, DefaultClientID, DefaultClientSecret, true, nil)
	var tok tokenResponse
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.ExpiresIn != 1 {
		t.Fatalf("token: %d %s", resp.StatusCode, b)
	}

	c := dial(t, s, tok.AccessToken, "")
	m, evs := c.control(TopicTokenRevoked)
	if len(evs) == 0 || m.message == "" {
		t.Fatalf("token_revoked %s after %d events", m.raw, len(evs))
	}
	if elapsed := time.Since(issued); elapsed < lifetime {
		t.Fatalf("revoked after %v, before the token's lifetime %v", elapsed, lifetime)
	}
	if _, err := c.closed(); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("after token_revoked: %v, want 1008", err)
	}
	if resp, body := dialFail(t, s, tok.AccessToken, ""); resp.StatusCode != http.StatusUnauthorized || body.Code != "bad.credentials" {
		t.Fatalf("reconnect with the expired token: %d %+v", resp.StatusCode, body)
	}
}

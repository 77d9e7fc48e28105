package genesys

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// upstream-api.md 1, Tokens: "POST https://login.<region>/oauth/token with
// HTTP Basic auth client_id:client_secret and form
// grant_type=client_credentials; answer
// {"access_token":"...","token_type":"bearer","expires_in":86400}".
func TestTokenFromTheLoginHost(t *testing.T) {
	f := newFixture(t, Options{})
	req, _ := http.NewRequest(http.MethodPost, f.s.LoginURL()+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	ok(t, send(t, req), http.StatusOK).decode(t, &tok)
	if tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 86400 {
		t.Fatalf("token answer %+v", tok)
	}
	ok(t, f.call(tok.AccessToken, http.MethodGet, channelsPath, nil), http.StatusOK)
	// the API host has no token endpoint: login is its own host
	if r := f.call("", http.MethodPost, TokenPath, "grant_type=client_credentials"); r.status != http.StatusNotFound {
		t.Fatalf("token endpoint on the API host: %d, want 404", r.status)
	}
}

// upstream-api.md 1, Tokens: "Errors: {"error":"...","description":"...",
// "error_description":"..."} with 400/401."
func TestTokenRefusals(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		name, id, secret, form string
		status                 int
		code                   string
	}{
		{"bad secret", DefaultClientID, "nope", "grant_type=client_credentials", 401, "invalid_client"},
		{"unknown client", "someone", DefaultClientSecret, "grant_type=client_credentials", 401, "invalid_client"},
		{"no grant type", DefaultClientID, DefaultClientSecret, "", 400, "invalid_request"},
		{"other grant", DefaultClientID, DefaultClientSecret, "grant_type=password", 400, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.s.LoginURL()+TokenPath, strings.NewReader(tc.form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(tc.id, tc.secret)
			var e oauthError
			r := send(t, req)
			r.decode(t, &e)
			if r.status != tc.status || e.Error != tc.code || e.Description == "" || e.ErrorDescription != e.Description {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
}

// upstream-api.md 1, Connection: "Missing, unknown or expired token: HTTP
// 401 ..., body {"message":"Invalid login credentials.","code":
// "bad.credentials","status":401}"; tokens expire after expires_in.
func TestExpiredOrUnknownTokenIs401(t *testing.T) {
	f := newFixture(t, Options{TokenLifetime: time.Hour})
	ok(t, f.api(http.MethodGet, channelsPath, nil), http.StatusOK)
	f.clock.Advance(time.Hour - time.Millisecond)
	ok(t, f.api(http.MethodGet, channelsPath, nil), http.StatusOK)
	f.clock.Advance(time.Millisecond)
	for name, tok := range map[string]string{"expired": f.token, "unknown": "not-a-token", "missing": ""} {
		r := f.call(tok, http.MethodGet, channelsPath, nil)
		var e errorBody
		r.decode(t, &e)
		if r.status != 401 || e.Message != "Invalid login credentials." || e.Code != "bad.credentials" || e.Status != 401 {
			t.Errorf("%s token: %d %s", name, r.status, r.body)
		}
	}
	fresh := f.login(DefaultClientID, DefaultClientSecret)
	ok(t, f.call(fresh, http.MethodGet, channelsPath, nil), http.StatusOK)
	f.s.ExpireTokens()
	ok(t, f.call(fresh, http.MethodGet, channelsPath, nil), http.StatusUnauthorized)
}

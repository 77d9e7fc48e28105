package sim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// tokenStore holds every token the server accepts.
type tokenStore struct {
	mu     sync.Mutex           // guards tokens
	tokens map[string]time.Time // token -> expiry; zero = never
}

func newTokenStore(static []string) *tokenStore {
	ts := &tokenStore{tokens: make(map[string]time.Time)}
	for _, t := range static {
		ts.tokens[t] = time.Time{}
	}
	return ts
}

// issue mints a random token. lifetime <= 0 means it never expires on its
// own.
func (ts *tokenStore) issue(lifetime time.Duration) string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	tok := "sim-" + base64.RawURLEncoding.EncodeToString(b[:])
	var exp time.Time
	if lifetime > 0 {
		exp = time.Now().Add(lifetime)
	}
	ts.mu.Lock()
	ts.tokens[tok] = exp
	ts.mu.Unlock()
	return tok
}

func (ts *tokenStore) valid(tok string, now time.Time) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.tokens[tok]
	return ok && (exp.IsZero() || now.Before(exp))
}

// expiry returns a token's expiry (zero = never) and whether it is known.
func (ts *tokenStore) expiry(tok string) (time.Time, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.tokens[tok]
	return exp, ok
}

// expireAll expires every known token at now and returns the set of tokens
// that were still valid.
func (ts *tokenStore) expireAll(now time.Time) map[string]struct{} {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	expired := make(map[string]struct{})
	for tok, exp := range ts.tokens {
		if exp.IsZero() || now.Before(exp) {
			expired[tok] = struct{}{}
			ts.tokens[tok] = now
		}
	}
	return expired
}

// IssueToken mints a valid token directly, bypassing OAuth. lifetime <= 0
// means the token never expires on its own (like a static token).
func (s *Server) IssueToken(lifetime time.Duration) string {
	return s.tokens.issue(lifetime)
}

// oauthError is the token endpoint's error body.
type oauthError struct {
	Error            string `json:"error"`
	Description      string `json:"description"`
	ErrorDescription string `json:"error_description"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, oauthError{Error: code, Description: description, ErrorDescription: description})
}

// handleToken serves POST /oauth/token, the client-credentials grant.
// Credentials come from HTTP Basic auth or from client_id/client_secret form
// fields: golang.org/x/oauth2/clientcredentials may send either.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form body: "+err.Error())
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 2.3.1: Basic credentials are form-urlencoded first.
		if u, err := url.QueryUnescape(id); err == nil {
			id = u
		}
		if u, err := url.QueryUnescape(secret); err == nil {
			secret = u
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client credentials are required")
		return
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) == 1
	if !idOK || !secretOK {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client not found or bad secret")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type "+gt)
		return
	}
	tok := s.tokens.issue(s.cfg.TokenLifetime)
	// Whole seconds, rounded down so the client never trusts a token past
	// its real expiry; at least 1, because 0 reads as "never expires".
	expiresIn := max(int64(s.cfg.TokenLifetime/time.Second), 1)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}{tok, "bearer", expiresIn})
	s.logger.Info().Dur("lifetime", s.cfg.TokenLifetime).Msg("token issued")
}

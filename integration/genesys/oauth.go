package genesys

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// token is an issued access token.
type token struct {
	client  string
	expires time.Time
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

// IssueToken mints a token for client directly, bypassing OAuth; it expires
// after Options.TokenLifetime on the server's clock.
func (s *Server) IssueToken(clientID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(clientID)
}

func (s *Server) issueLocked(clientID string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	b := make([]byte, 86)
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	tok := string(b)
	s.tokens[tok] = token{client: clientID, expires: s.clock.Now().Add(s.opts.TokenLifetime)}
	return tok
}

// ExpireTokens makes every token issued so far expired now: the next call
// with one gets 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for k, t := range s.tokens {
		t.expires = now
		s.tokens[k] = t
	}
}

// handleToken serves POST /oauth/token, the client-credentials grant, with
// the credentials in HTTP Basic auth or in client_id/client_secret form
// fields (golang.org/x/oauth2/clientcredentials may send either).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	c, known := s.clients[id]
	if id == "" || !known || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
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
	tok := s.issueLocked(id)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}{tok, "bearer", max(int64(s.opts.TokenLifetime/time.Second), 1)})
}

// clientKey carries the calling Client in a request context.
type clientKey struct{}

// tokenKey carries the caller's access token in a request context.
type tokenKey struct{}

// caller returns the client and token authenticate put in r's context.
func caller(r *http.Request) (Client, string) {
	c, _ := r.Context().Value(clientKey{}).(Client)
	t, _ := r.Context().Value(tokenKey{}).(string)
	return c, t
}

// authenticate answers 401 unless the request carries a live bearer token.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		t, known := s.tokens[tok]
		c := s.clients[t.client]
		live := ok && known && s.clock.Now().Before(t.expires)
		s.mu.Unlock()
		if !live {
			unauthorized(w)
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), clientKey{}, c), tokenKey{}, tok)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// has reports whether c holds permission p.
func (c Client) has(p string) bool {
	if c.Permissions == nil {
		return true
	}
	for _, q := range c.Permissions {
		if q == p {
			return true
		}
	}
	return false
}

package websocket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// tokenSource supplies bearer tokens for the upstream.
type tokenSource interface {
	// Token returns a token to connect with, fetching one if needed.
	Token(ctx context.Context) (string, error)
	// Invalidate drops the current token after the upstream rejected it
	// (401, or token_revoked), so the next Token call fetches a fresh one.
	Invalidate()
}

// tokenFetchTimeout bounds one request to the OAuth2 token endpoint.
const tokenFetchTimeout = 15 * time.Second

// errNoToken means a token source produced an empty token.
var errNoToken = errors.New("token source returned an empty token")

// newTokenSource builds the source the configuration names.
func newTokenSource(cfg config.TokenConfig) tokenSource {
	switch {
	case cfg.Static != "":
		return staticToken(cfg.Static)
	case cfg.File != "":
		return fileToken(cfg.File)
	default:
		return &oauthToken{secretFile: cfg.ClientSecretFile, cc: clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     cfg.OAuthURL,
			Scopes:       cfg.Scopes,
		}}
	}
}

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }
func (staticToken) Invalidate()                             {}

// fileToken re-reads the file on every call: whoever rotates the token
// (a sidecar, a mounted secret) only has to replace the file.
type fileToken string

func (f fileToken) Token(context.Context) (string, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return "", fmt.Errorf("reading ANALYTICS_TOKEN_FILE: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("ANALYTICS_TOKEN_FILE %s: %w", string(f), errNoToken)
	}
	return tok, nil
}

func (fileToken) Invalidate() {}

// oauthToken caches a client-credentials token until it nears expiry
// (oauth2's ReuseTokenSource semantics) or the upstream rejects it.
//
// It reaches the token endpoint with the *http.Client found under
// oauth2.HTTPClient in the context of the Token call that builds a token
// source (the first call, and the first after Invalidate). The dialer puts
// the upstream's client there, so the endpoint gets the same TLS settings
// and proxy as the WebSocket handshake.
type oauthToken struct {
	secretFile string // OAUTH_CLIENT_SECRET_FILE, re-read for each new token source

	mu  sync.Mutex // guards cc and src
	cc  clientcredentials.Config
	src oauth2.TokenSource
}

func (o *oauthToken) Token(ctx context.Context) (string, error) {
	o.mu.Lock()
	if o.src == nil && o.secretFile != "" {
		// A rotated secret is picked up with the next token source: after
		// an expiry or a rejected token.
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			o.mu.Unlock()
			return "", fmt.Errorf("reading OAUTH_CLIENT_SECRET_FILE: %w", err)
		}
		o.cc.ClientSecret = strings.TrimSpace(string(b))
	}
	if o.src == nil {
		// The token source keeps its context for later fetches, so it must
		// outlive this call; the HTTP client's timeout bounds each fetch.
		// A caller without the upstream's client gets the default transport.
		client, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
		if client == nil {
			client = &http.Client{Timeout: tokenFetchTimeout}
		}
		base := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, client)
		o.src = o.cc.TokenSource(base)
	}
	src := o.src
	o.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return "", fmt.Errorf("fetching OAuth2 token from %s: %w", o.cc.TokenURL, err)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("OAuth2 token endpoint %s: %w", o.cc.TokenURL, errNoToken)
	}
	return tok.AccessToken, nil
}

func (o *oauthToken) Invalidate() {
	o.mu.Lock()
	o.src = nil
	o.mu.Unlock()
}

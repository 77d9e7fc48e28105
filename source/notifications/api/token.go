package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokens hands out the client's access token: one client-credentials
// token, fetched from the login host when first needed and again when it
// nears its expiry (oauth2's reuse semantics) or the API refused it.
type tokens struct {
	cc         clientcredentials.Config
	secretFile string       // when set, the secret is read from it before each new token
	client     *http.Client // reaches the login host

	mu   sync.Mutex // guards src and last
	src  oauth2.TokenSource
	last string // the token last handed out
}

func newTokens(loginURL, id, secret, secretFile string, client *http.Client) *tokens {
	return &tokens{client: client, secretFile: secretFile, cc: clientcredentials.Config{
		ClientID: id, ClientSecret: secret, TokenURL: loginURL + "/oauth/token",
		// Genesys takes the credentials in HTTP Basic auth.
		AuthStyle: oauth2.AuthStyleInHeader,
	}}
}

// token returns the current access token, fetching one if needed.
func (t *tokens) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	if t.src == nil {
		// The token source keeps its context for later fetches: it must
		// outlive this call. The HTTP client's timeout bounds each fetch.
		base := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, t.client)
		t.src = oauth2.ReuseTokenSource(nil, fetcher{t: t, ctx: base})
	}
	src := t.src
	t.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil &&
			(re.Response.StatusCode == http.StatusBadRequest || re.Response.StatusCode == http.StatusUnauthorized) {
			return "", fmt.Errorf("%w (%w) at %s: %w", ErrCredentials, ErrToken, t.cc.TokenURL, err)
		}
		return "", fmt.Errorf("%w from %s: %w", ErrToken, t.cc.TokenURL, err)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("%w from %s: %w", ErrToken, t.cc.TokenURL, errors.New("the answer has no access_token"))
	}
	t.mu.Lock()
	t.last = tok.AccessToken
	t.mu.Unlock()
	return tok.AccessToken, nil
}

// fetcher gets a new token, reading the secret file first when there is
// one: a rotated secret (a remounted Kubernetes Secret) is used from the
// next token on.
type fetcher struct {
	t   *tokens
	ctx context.Context
}

func (f fetcher) Token() (*oauth2.Token, error) {
	cc := f.t.cc
	if f.t.secretFile != "" {
		b, err := os.ReadFile(f.t.secretFile)
		if err != nil {
			return nil, fmt.Errorf("reading the client secret: %w", err)
		}
		cc.ClientSecret = strings.TrimSpace(string(b))
	}
	return cc.Token(f.ctx)
}

// invalidate drops the token after the API refused it (401): the next call
// fetches a new one. A token other than the current one (refused after
// another call already replaced it) changes nothing.
func (t *tokens) invalidate(refused string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if refused == t.last {
		t.src, t.last = nil, ""
	}
}

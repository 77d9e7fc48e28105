package kafkasec

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/analytics-bridge/analytics-bridge/config"
)

const (
	// tokenFetchTimeout bounds one request to the token endpoint.
	tokenFetchTimeout = 15 * time.Second
	// refreshEarly fetches a new token this long before the current one
	// expires, so no connection starts with a token about to lapse.
	refreshEarly = 30 * time.Second
)

// oauthBearer is SASL OAUTHBEARER (RFC 7628, KIP-255) with tokens from an
// OAuth2 client-credentials endpoint. One token serves every connection
// until it nears expiry.
type oauthBearer struct {
	tokens     oauth2.TokenSource
	tokenURL   string
	extensions string // "k=v\x01" pairs, sorted
}

func newOAuthBearer(c config.OAuthClient, client *http.Client) *oauthBearer {
	fetch := &clientCredentials{
		ctx:        context.WithValue(context.Background(), oauth2.HTTPClient, client),
		cc:         clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, Scopes: c.Scopes},
		secretFile: c.ClientSecretFile,
	}
	keys := make([]string, 0, len(c.Extensions))
	for k := range c.Extensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ext strings.Builder
	for _, k := range keys {
		ext.WriteString(k + "=" + c.Extensions[k] + "\x01")
	}
	return &oauthBearer{
		tokens:     oauth2.ReuseTokenSourceWithExpiry(nil, fetch, refreshEarly),
		tokenURL:   c.TokenURL,
		extensions: ext.String(),
	}
}

func (o *oauthBearer) Name() string { return string(config.SASLOAuthBearer) }

// Start sends the client's initial response: the GS2 header, the bearer
// token and the extensions (RFC 7628 section 3.1).
func (o *oauthBearer) Start(context.Context) (sasl.StateMachine, []byte, error) {
	tok, err := o.tokens.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errTokenFetch, err)
	}
	if tok.AccessToken == "" {
		return nil, nil, fmt.Errorf("%w: the endpoint %s returned an empty access token", errTokenFetch, o.tokenURL)
	}
	ir := "n,,\x01auth=Bearer " + tok.AccessToken + "\x01" + o.extensions + "\x01"
	return oauthSession{}, []byte(ir), nil
}

type oauthSession struct{}

// Next ends the exchange: an empty challenge is success; anything else is
// the broker's JSON error status (RFC 7628 section 3.2.2), which names why
// the token was refused and is worth showing.
func (oauthSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	if len(challenge) == 0 {
		return true, nil, nil
	}
	return true, nil, fmt.Errorf("%w: the broker refused the OAUTHBEARER token: %s", kafka.SASLAuthenticationFailed, challenge)
}

// clientCredentials fetches one token, reading the client secret from its
// file first when it comes from one (a rotated Secret is used for the next
// token).
type clientCredentials struct {
	ctx        context.Context
	cc         clientcredentials.Config
	secretFile string
}

func (c *clientCredentials) Token() (*oauth2.Token, error) {
	cc := c.cc
	if c.secretFile != "" {
		b, err := os.ReadFile(c.secretFile)
		if err != nil {
			return nil, fmt.Errorf("%w: reading KAFKA_SASL_OAUTH_CLIENT_SECRET_FILE: %w", errCredential, err)
		}
		cc.ClientSecret = strings.TrimSpace(string(b))
	}
	tok, err := cc.Token(c.ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching a token from KAFKA_SASL_OAUTH_TOKEN_URL %s: %w", c.cc.TokenURL, err)
	}
	return tok, nil
}

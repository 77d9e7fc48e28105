package websocket

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/oauth2"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// dialer opens upstream connections.
type dialer struct {
	url      string
	tokens   tokenSource
	maxFrame int64
	headers  http.Header // ANALYTICS_HEADERS, sent with every handshake
	tls      config.TLSFiles

	// transport is the upstream transport, shared by the handshake (through
	// wsClient) and the OAuth2 token endpoint (through tokenClient).
	transport   *http.Transport
	wsClient    *http.Client
	tokenClient *http.Client
	// err is why the transport could not be built: a TLS file became
	// unreadable after validation. Every dial fails with it.
	err error
}

func newDialer(cfg config.Config, tokens tokenSource) *dialer {
	d := &dialer{url: cfg.AnalyticsURL, tokens: tokens, maxFrame: cfg.MaxFrameBytes,
		headers: cfg.Upstream.Headers, tls: cfg.Upstream.TLS}
	d.transport, d.err = newUpstreamTransport(cfg.Upstream)
	if d.err == nil {
		d.wsClient = &http.Client{Transport: d.transport, Timeout: handshakeTimeout}
		d.tokenClient = &http.Client{Transport: d.transport, Timeout: tokenFetchTimeout}
	}
	return d
}

// setupErr is why the dialer cannot connect at all (it names the variable
// to fix), or nil; the bridge should refuse to start with it.
func (d *dialer) setupErr() error { return d.err }

// sinceFormat is what we send: RFC 3339 UTC with milliseconds, the
// precision upstream timestamps carry.
const sinceFormat = "2006-01-02T15:04:05.000Z07:00"

// eventsURL adds since to the configured URL.
func (d *dialer) eventsURL(since time.Time) (string, error) {
	u, err := url.Parse(d.url)
	if err != nil {
		return "", fmt.Errorf("parsing ANALYTICS_URL: %w", err)
	}
	q := u.Query()
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(sinceFormat))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// token gets a token from d.tokens; an OAuth2 source reaches its endpoint
// through the upstream transport, which it finds in the context.
func (d *dialer) token(ctx context.Context) (string, error) {
	if d.err != nil {
		return "", d.err
	}
	tok, err := d.tokens.Token(context.WithValue(ctx, oauth2.HTTPClient, d.tokenClient))
	if err != nil {
		if advice := explainTLS(err, d.tls, "the OAuth2 endpoint"); advice != "" {
			return "", fmt.Errorf("%s: %w", advice, err)
		}
		return "", err
	}
	return tok, nil
}

// dial connects with a bearer token from d.tokens and the headers of
// ANALYTICS_HEADERS (neither is ever logged).
func (d *dialer) dial(ctx context.Context, since time.Time) (*websocket.Conn, error) {
	if d.err != nil {
		return nil, d.err
	}
	target, err := d.eventsURL(since)
	if err != nil {
		return nil, err
	}
	token, err := d.token(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errTokenFetch, err)
	}
	// Authorization is set last: ANALYTICS_HEADERS never replaces it
	// (config rejects the name; this holds even if it did not).
	header := d.headers.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Authorization", "Bearer "+token)
	conn, res, err := websocket.Dial(ctx, target, &websocket.DialOptions{
		HTTPHeader: header,
		HTTPClient: d.wsClient,
	})
	if err != nil {
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			herr := classifyHTTP(res)
			if res.Body != nil {
				res.Body.Close()
			}
			return nil, herr
		}
		if advice := explainTLS(err, d.tls, "the upstream"); advice != "" {
			return nil, fmt.Errorf("dialing upstream: %s: %w", advice, err)
		}
		return nil, fmt.Errorf("dialing upstream: %w", err)
	}
	conn.SetReadLimit(d.maxFrame)
	return conn, nil
}

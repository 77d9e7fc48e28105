// Package api is a client of the Genesys Cloud Platform API for the
// notifications source: OAuth client credentials against the login host,
// and requests to the API host under the platform's rate limits.
//
// What a call does when the platform pushes back (policy.go, pure and
// table-tested):
//   - 429: waits Retry-After (else inin-ratelimit-reset, else backoff) and
//     tries again, up to Options.Max429 times; a wait beyond
//     Options.MaxWait (180 s, where the SDKs give up) ends the call at
//     once with ErrRateLimited, naming the wait.
//   - inin-ratelimit-count having reached inin-ratelimit-allowed on any
//     answer holds every later request of the client until
//     inin-ratelimit-reset has passed, so that the window is not
//     overrun in the first place.
//   - 5xx but 501, and network failures: retried with jittered
//     exponential backoff, up to Options.Max5xx times.
//   - 401: the token is dropped and the call made once more with a new
//     one.
//   - anything else is the call's answer, as a *StatusError.
//
// Every wait is on Options.Clock, and every attempt is reported to
// Options.Observe (metrics, logs; tests use it to drive a manual clock).
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// Options configure a Client. Zero values take the defaults shown.
type Options struct {
	// LoginURL is the login host, https://login.<region> (the token
	// endpoint is LoginURL+"/oauth/token"); APIURL the API host,
	// https://api.<region>.
	LoginURL, APIURL string
	// ClientID and ClientSecret are the OAuth client's credentials
	// (client credentials grant). ClientSecretFile, when set, holds the
	// secret instead, read again before each new token.
	ClientID, ClientSecret, ClientSecretFile string
	// HTTPClient reaches both hosts (default: one with a 30 s timeout).
	HTTPClient *http.Client
	// Clock is what every wait is measured on (default clock.Real).
	Clock clock.Clock
	// MaxWait is the longest Retry-After honoured (180 s).
	MaxWait time.Duration
	// Max429 is how many 429 answers one call retries (5).
	Max429 int
	// Max5xx is how many 5xx answers and network failures one call
	// retries (3).
	Max5xx int
	// MinBackoff and MaxBackoff bound the backoff between retries of a 5xx
	// (1 s, 30 s).
	MinBackoff, MaxBackoff time.Duration
	// Observe, when set, is told of every attempt, from the calling
	// goroutine: it must be quick.
	Observe func(Attempt)
}

// Attempt is one request and what followed it.
type Attempt struct {
	Method, Path string
	Status       int   // 0: no answer
	Err          error // the network failure when Status is 0
	// Reason is why a retry follows or was due: rate_limited,
	// server_error, network, unauthorized; "" for a final answer.
	Reason string
	// Wait is the wait before the retry (or the one refused).
	Wait time.Duration
	// GiveUp says why no retry follows although one was due; "" otherwise.
	GiveUp string
	// Held is how long the request waited before being sent, for a
	// rate-limit window that earlier answers said was used up.
	Held time.Duration
}

// Client calls the API. Safe for concurrent use.
type Client struct {
	opts   Options
	http   *http.Client
	tokens *tokens

	mu        sync.Mutex
	notBefore time.Time // no request before it: the rate-limit window is used up
}

// New checks o and builds a Client; it calls nothing on the network.
func New(o Options) (*Client, error) {
	for _, u := range []struct{ name, v string }{{"LoginURL", o.LoginURL}, {"APIURL", o.APIURL}} {
		p, err := url.Parse(u.v)
		if err != nil || p.Scheme == "" || p.Host == "" {
			return nil, fmt.Errorf("genesys API client: %s %q: want an absolute URL such as https://api.mypurecloud.com", u.name, u.v)
		}
	}
	if o.ClientID == "" || o.ClientSecret == "" && o.ClientSecretFile == "" {
		return nil, errors.New("genesys API client: the OAuth client id and secret are required")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 180 * time.Second
	}
	if o.Max429 <= 0 {
		o.Max429 = 5
	}
	if o.Max5xx <= 0 {
		o.Max5xx = 3
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	o.LoginURL, o.APIURL = strings.TrimRight(o.LoginURL, "/"), strings.TrimRight(o.APIURL, "/")
	return &Client{opts: o, http: o.HTTPClient, tokens: newTokens(o.LoginURL, o.ClientID, o.ClientSecret, o.ClientSecretFile, o.HTTPClient)}, nil
}

// HTTPClient is the client's transport, for the channel sockets to share.
func (c *Client) HTTPClient() *http.Client { return c.http }

// Clock is the client's clock.
func (c *Client) Clock() clock.Clock { return c.opts.Clock }

// Call is one API request.
type Call struct {
	Method string
	Path   string // from /api/v2
	Query  url.Values
	Body   any // JSON-encoded when not nil
}

// maxAnswer bounds an answer's body.
const maxAnswer = 16 << 20

// Do makes the call under the policy of the package doc and decodes a 2xx
// answer's body into out (unless out is nil or the body empty). It returns
// the answer's header.
func (c *Client) Do(ctx context.Context, call Call, out any) (http.Header, error) {
	var body []byte
	if call.Body != nil {
		b, err := json.Marshal(call.Body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding the body: %w", call.Method, call.Path, err)
		}
		body = b
	}
	target := c.opts.APIURL + call.Path
	if len(call.Query) > 0 {
		target += "?" + call.Query.Encode()
	}
	bo := retry.NewBackoff(c.opts.MinBackoff, c.opts.MaxBackoff, rand.Uint64())
	lim := limits{maxWait: c.opts.MaxWait, max429: c.opts.Max429, max5xx: c.opts.Max5xx, unauthRetry: true}
	tries := map[string]int{}
	for {
		held, err := c.hold(ctx, call)
		if err != nil {
			return nil, err
		}
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", call.Method, call.Path, err)
		}
		status, header, answer, netErr := c.send(ctx, call.Method, target, tok, body)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		c.noteWindow(header)
		a := Attempt{Method: call.Method, Path: call.Path, Status: status, Err: netErr, Held: held}
		if status >= 200 && status < 300 {
			c.observe(a)
			if out != nil && len(bytes.TrimSpace(answer)) > 0 {
				if err := json.Unmarshal(answer, out); err != nil {
					return header, fmt.Errorf("%s %s: decoding the answer: %w", call.Method, call.Path, err)
				}
			}
			return header, nil
		}
		kind := kindOf(status)
		tries[kind]++
		v := judge(status, header, tries[kind], bo.Next(), c.opts.Clock.Now(), lim)
		a.Reason, a.Wait, a.GiveUp = v.reason, v.wait, v.giveUp
		c.observe(a)
		if v.retry {
			if v.reason == "unauthorized" {
				c.tokens.invalidate(tok)
			}
			if err := clock.Sleep(ctx, c.opts.Clock, v.wait); err != nil {
				return nil, err
			}
			continue
		}
		final := c.failure(call, status, header, answer, netErr)
		switch {
		case status == http.StatusTooManyRequests:
			return header, fmt.Errorf("%w: %s: %w", ErrRateLimited, v.giveUp, final)
		case v.giveUp != "":
			return header, fmt.Errorf("%s: %w", v.giveUp, final)
		}
		return header, final
	}
}

// kindOf groups answers whose retries are counted together.
func kindOf(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "429"
	case status == http.StatusUnauthorized:
		return "401"
	}
	return "5xx"
}

// send makes one request; status 0 and netErr when there is no answer.
func (c *Client) send(ctx context.Context, method, target, token string, body []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	return res.StatusCode, res.Header, answer, nil
}

// failure is the error of a final answer.
func (c *Client) failure(call Call, status int, header http.Header, answer []byte, netErr error) error {
	if status == 0 {
		return fmt.Errorf("%s %s: %w", call.Method, call.Path, netErr)
	}
	se := &StatusError{Method: call.Method, Path: call.Path, Status: status, RetryAfter: retryAfter(header, c.opts.Clock.Now())}
	var eb struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	if json.Unmarshal(answer, &eb) == nil {
		se.Message, se.Code = eb.Message, eb.Code
	}
	return se
}

func (c *Client) observe(a Attempt) {
	if c.opts.Observe != nil {
		c.opts.Observe(a)
	}
}

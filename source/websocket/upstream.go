package websocket

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/oauth2"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/tlsconf"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// Upstream errors. HTTP failures before the upgrade come as *httpError,
// which unwraps to one of these. The exported ones can end Run (callers
// branch on them); the others only steer the reconnect policy.
var (
	// errUnauthorized: the token was rejected (401); get a fresh one.
	errUnauthorized = errors.New("upstream rejected the bearer token")
	// ErrSinceMalformed: the upstream could not parse since. Our bug: stop.
	ErrSinceMalformed = errors.New("upstream rejected since as malformed")
	// ErrSinceTooOld: since is older than the upstream's retention; the
	// events in between can no longer be replayed.
	ErrSinceTooOld = errors.New("upstream cannot replay from since: it is older than the upstream's retention")
	// errSinceFuture: since is ahead of the upstream's clock (clock skew);
	// waiting resolves it.
	errSinceFuture = errors.New("upstream rejected since as being in the future")
	// ErrBadRequest: any other 400.
	ErrBadRequest = errors.New("upstream rejected the request")
	// errRateLimited: 429; httpError.retryAfter says how long to wait.
	errRateLimited = errors.New("upstream rate-limited the connection")
	// errUnavailable: 5xx or another unexpected status; retry with backoff.
	errUnavailable = errors.New("upstream unavailable")
	// errTokenFetch: no token could be had (file, OAuth2 endpoint).
	errTokenFetch = errors.New("getting an upstream token failed")
	// errIdle: no frame arrived within the idle timeout (half-open link).
	errIdle = errors.New("upstream went silent")
	// ErrFrameTooLarge: a frame exceeded MAX_FRAME_BYTES. It would be sent
	// again on every replay, so retrying cannot help.
	ErrFrameTooLarge = errors.New("upstream frame exceeds MAX_FRAME_BYTES")
)

// httpError is a refused WebSocket upgrade.
type httpError struct {
	status     int
	code       string // the body's "code", e.g. bad.request
	message    string // the body's "message"
	retryAfter time.Duration
	kind       error
}

func (e *httpError) Error() string {
	msg := fmt.Sprintf("upstream answered HTTP %d", e.status)
	if e.code != "" {
		msg += " " + e.code
	}
	if e.message != "" {
		msg += ": " + e.message
	}
	return msg
}

func (e *httpError) Unwrap() error { return e.kind }

// classifyHTTP turns a refused upgrade into an *httpError.
func classifyHTTP(res *http.Response) *httpError {
	e := &httpError{status: res.StatusCode}
	if res.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		var parsed struct {
			Message string `json:"message"`
			Code    string `json:"code"`
		}
		if json.Unmarshal(body, &parsed) == nil {
			e.code, e.message = parsed.Code, parsed.Message
		} else {
			e.message = strings.TrimSpace(string(body))
		}
	}
	msg := strings.ToLower(e.message)
	switch {
	case res.StatusCode == http.StatusUnauthorized, res.StatusCode == http.StatusForbidden:
		e.kind = errUnauthorized
	case res.StatusCode == http.StatusBadRequest && strings.Contains(msg, "retention"):
		e.kind = ErrSinceTooOld
	case res.StatusCode == http.StatusBadRequest && strings.Contains(msg, "future"):
		e.kind = errSinceFuture
	case res.StatusCode == http.StatusBadRequest && strings.Contains(msg, "malformed"):
		e.kind = ErrSinceMalformed
	case res.StatusCode == http.StatusBadRequest:
		e.kind = ErrBadRequest
	case res.StatusCode == http.StatusTooManyRequests:
		e.kind = errRateLimited
		e.retryAfter = parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
	default:
		e.kind = errUnavailable
		e.retryAfter = parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// handshakeTimeout bounds one WebSocket handshake (the token is fetched
// before it, under tokenFetchTimeout).
const handshakeTimeout = 30 * time.Second

// newUpstreamTransport is the one HTTP transport of the upstream side: the
// WebSocket handshake and the OAuth2 token endpoint both go through it, so
// ANALYTICS_CA_FILE, the client certificate (re-read when its files
// change) and HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply to both alike.
//
// The proxy sees the URL the transport is asked for: the WebSocket library
// turns wss:// into https:// (ws:// into http://) before the request
// reaches it, so HTTPS_PROXY is the one that applies to a wss:// upstream.
func newUpstreamTransport(u config.Upstream) (*http.Transport, error) {
	tc, err := tlsconf.Client(u.TLS, tlsconf.AddToSystemRoots)
	if err != nil {
		return nil, fmt.Errorf("upstream TLS: %s: %w", tlsFilesVariable(u.TLS), err)
	}
	return tlsconf.HTTPTransport(tc, u.Proxy), nil
}

// tlsFilesVariable names the variable whose file tlsconf.Client could not
// use: the CA file when it alone fails, else the certificate or the key
// when one is missing, else the pair (unreadable, or not matching).
func tlsFilesVariable(f config.TLSFiles) string {
	if _, err := tlsconf.Client(config.TLSFiles{CAFile: f.CAFile}, tlsconf.AddToSystemRoots); err != nil || f.CertFile == "" {
		return "ANALYTICS_CA_FILE"
	}
	if _, err := os.Stat(f.CertFile); err != nil {
		return "ANALYTICS_TLS_CERT_FILE"
	}
	if _, err := os.Stat(f.KeyFile); err != nil {
		return "ANALYTICS_TLS_KEY_FILE"
	}
	return "ANALYTICS_TLS_CERT_FILE / ANALYTICS_TLS_KEY_FILE"
}

// explainTLS names what to fix when err is a TLS failure between the
// bridge and peer ("the upstream", "the OAuth2 endpoint"), or returns ""
// for any other error. The cause itself stays in the error.
func explainTLS(err error, f config.TLSFiles, peer string) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var remote *net.OpError
	switch {
	case errors.As(err, &unknownCA):
		if f.CAFile != "" {
			return peer + "'s TLS certificate is not trusted: neither ANALYTICS_CA_FILE nor the system roots hold the CA that signs it"
		}
		return peer + "'s TLS certificate is not trusted: set ANALYTICS_CA_FILE to the PEM certificate of the CA that signs it"
	case errors.As(err, &hostname):
		return peer + "'s TLS certificate is not valid for the host name in its URL"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return peer + "'s TLS certificate has expired or is not valid yet (or a clock is wrong)"
	case errors.As(err, &remote) && remote.Op == "remote error" && remote.Err != nil:
		// The peer ended the handshake with an alert, of an unexported type
		// in crypto/tls; tls.AlertError prints the same text.
		switch remote.Err.Error() {
		case tls.AlertError(116).Error(), tls.AlertError(42).Error(): // certificate required, bad certificate
			if f.CertFile == "" {
				return peer + " requires a TLS client certificate: set ANALYTICS_TLS_CERT_FILE and ANALYTICS_TLS_KEY_FILE"
			}
			return peer + " refused the TLS client certificate of ANALYTICS_TLS_CERT_FILE"
		case tls.AlertError(48).Error(), tls.AlertError(46).Error(): // unknown certificate authority, unknown certificate
			return peer + " does not trust the CA that signs the TLS client certificate of ANALYTICS_TLS_CERT_FILE"
		case tls.AlertError(45).Error(), tls.AlertError(44).Error(): // expired, revoked
			return peer + " refused the TLS client certificate of ANALYTICS_TLS_CERT_FILE as expired or revoked"
		}
	}
	return ""
}

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

// session reads frames from one connection and keeps it alive: it sends an
// application ping every pingInterval and declares the link dead when no
// frame (event, heartbeat or pong) arrives within idleTimeout.
type session struct {
	conn         *websocket.Conn
	idleTimeout  time.Duration
	pingInterval time.Duration

	stop context.CancelFunc
	wg   sync.WaitGroup // the pinger

	frames    *framePool
	lastFrame int // bytes of the previous frame: the next one's buffer size
}

var pingFrame = []byte(`{"message":"ping"}`)

func newSession(ctx context.Context, conn *websocket.Conn, idle, ping time.Duration, frames *framePool) *session {
	ctx, cancel := context.WithCancel(ctx)
	s := &session{conn: conn, idleTimeout: idle, pingInterval: ping, stop: cancel, frames: frames}
	s.wg.Add(1)
	go s.pinger(ctx)
	return s
}

func (s *session) pinger(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wctx, cancel := context.WithTimeout(ctx, s.pingInterval)
		// A failed ping needs no handling here: the reader sees the broken
		// connection or the missing pong.
		_ = s.conn.Write(wctx, websocket.MessageText, pingFrame)
		cancel()
	}
}

// next returns the next data frame, held once by the caller.
func (s *session) next(ctx context.Context) (*frameBuf, error) {
	rctx, cancel := context.WithTimeout(ctx, s.idleTimeout)
	defer cancel()
	fb, err := s.read(rctx)
	if err == nil {
		return fb, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, context.Cause(ctx)
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%w: no frame for %s", errIdle, s.idleTimeout)
	case errors.Is(err, websocket.ErrMessageTooBig):
		return nil, fmt.Errorf("%w: %v", ErrFrameTooLarge, err)
	}
	return nil, fmt.Errorf("reading upstream: %w", err)
}

// read reads one message into a pooled buffer sized like the previous
// frame. Conn.Read's io.ReadAll starts at 512 bytes and doubles, copying
// and zeroing each time: for frames of ~50 KB that was a tenth of the
// bridge's CPU under a backlog.
func (s *session) read(ctx context.Context) (*frameBuf, error) {
	_, r, err := s.conn.Reader(ctx)
	if err != nil {
		return nil, err
	}
	// An eighth more than the last frame: frames of a backlog differ by a
	// few bytes, and one byte too few would grow the buffer by half.
	fb := s.frames.get(max(s.lastFrame+s.lastFrame/8, minFrameBuffer))
	buf := fb.b
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, len(buf)/2)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fb.b = buf
			fb.Release()
			return nil, err
		}
	}
	fb.b = buf
	s.lastFrame = len(buf)
	return fb, nil
}

// minFrameBuffer is the smallest buffer a frame is read into: one read
// serves heartbeats and small frames.
const minFrameBuffer = 4 << 10

// close ends the session, politely when possible, and waits for the pinger.
func (s *session) close(code websocket.StatusCode, reason string) {
	s.stop()
	s.wg.Wait()
	// Close waits for the peer's close frame up to 5 s; a dead peer should
	// not hold us that long, so fall back to CloseNow.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.conn.Close(code, reason)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		_ = s.conn.CloseNow()
		<-done
	}
}

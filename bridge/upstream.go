package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Upstream errors callers branch on. HTTP failures before the upgrade come
// as *HTTPError, which unwraps to one of these.
var (
	// ErrUnauthorized: the token was rejected (401); get a fresh one.
	ErrUnauthorized = errors.New("upstream rejected the bearer token")
	// ErrSinceMalformed: the upstream could not parse since. Our bug: stop.
	ErrSinceMalformed = errors.New("upstream rejected since as malformed")
	// ErrSinceTooOld: since is older than the upstream's retention; the
	// events in between can no longer be replayed.
	ErrSinceTooOld = errors.New("upstream cannot replay from since: it is older than the upstream's retention")
	// ErrSinceFuture: since is ahead of the upstream's clock (clock skew);
	// waiting resolves it.
	ErrSinceFuture = errors.New("upstream rejected since as being in the future")
	// ErrBadRequest: any other 400.
	ErrBadRequest = errors.New("upstream rejected the request")
	// ErrRateLimited: 429; HTTPError.RetryAfter says how long to wait.
	ErrRateLimited = errors.New("upstream rate-limited the connection")
	// ErrUnavailable: 5xx or another unexpected status; retry with backoff.
	ErrUnavailable = errors.New("upstream unavailable")
	// ErrIdle: no frame arrived within the idle timeout (half-open link).
	ErrIdle = errors.New("upstream went silent")
	// ErrFrameTooLarge: a frame exceeded MAX_FRAME_BYTES. It would be sent
	// again on every replay, so retrying cannot help.
	ErrFrameTooLarge = errors.New("upstream frame exceeds MAX_FRAME_BYTES")
)

// HTTPError is a refused WebSocket upgrade.
type HTTPError struct {
	Status     int
	Code       string // the body's "code", e.g. bad.request
	Message    string // the body's "message"
	RetryAfter time.Duration
	kind       error
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("upstream answered HTTP %d", e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

func (e *HTTPError) Unwrap() error { return e.kind }

// classifyHTTP turns a refused upgrade into an *HTTPError.
func classifyHTTP(res *http.Response) *HTTPError {
	e := &HTTPError{Status: res.StatusCode}
	if res.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		var parsed struct {
			Message string `json:"message"`
			Code    string `json:"code"`
		}
		if json.Unmarshal(body, &parsed) == nil {
			e.Code, e.Message = parsed.Code, parsed.Message
		} else {
			e.Message = strings.TrimSpace(string(body))
		}
	}
	msg := strings.ToLower(e.Message)
	switch {
	case res.StatusCode == http.StatusUnauthorized, res.StatusCode == http.StatusForbidden:
		e.kind = ErrUnauthorized
	case res.StatusCode == http.StatusBadRequest && strings.Contains(msg, "retention"):
		e.kind = ErrSinceTooOld
	case res.StatusCode == http.StatusBadRequest && strings.Contains(msg, "future"):
		e.kind = ErrSinceFuture
	case res.StatusCode == http.StatusBadRequest && strings.Contains(msg, "malformed"):
		e.kind = ErrSinceMalformed
	case res.StatusCode == http.StatusBadRequest:
		e.kind = ErrBadRequest
	case res.StatusCode == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
		e.RetryAfter = parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
	default:
		e.kind = ErrUnavailable
		e.RetryAfter = parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
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

// dialer opens upstream connections.
type dialer struct {
	url        string
	tokens     TokenSource
	maxFrame   int64
	httpClient *http.Client
}

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

// dial connects with a bearer token from d.tokens.
func (d *dialer) dial(ctx context.Context, since time.Time) (*websocket.Conn, error) {
	target, err := d.eventsURL(since)
	if err != nil {
		return nil, err
	}
	token, err := d.tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("getting upstream token: %w", err)
	}
	header := http.Header{}
	header.Set("Authorization", "Bearer "+token)
	conn, res, err := websocket.Dial(ctx, target, &websocket.DialOptions{
		HTTPHeader: header,
		HTTPClient: d.httpClient,
	})
	if err != nil {
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			herr := classifyHTTP(res)
			if res.Body != nil {
				res.Body.Close()
			}
			return nil, herr
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
}

var pingFrame = []byte(`{"message":"ping"}`)

func newSession(ctx context.Context, conn *websocket.Conn, idle, ping time.Duration) *session {
	ctx, cancel := context.WithCancel(ctx)
	s := &session{conn: conn, idleTimeout: idle, pingInterval: ping, stop: cancel}
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

// next returns the next data frame.
func (s *session) next(ctx context.Context) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, s.idleTimeout)
	defer cancel()
	_, data, err := s.conn.Read(rctx)
	if err == nil {
		return data, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, context.Cause(ctx)
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%w: no frame for %s", ErrIdle, s.idleTimeout)
	case errors.Is(err, websocket.ErrMessageTooBig):
		return nil, fmt.Errorf("%w: %v", ErrFrameTooLarge, err)
	}
	return nil, fmt.Errorf("reading upstream: %w", err)
}

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

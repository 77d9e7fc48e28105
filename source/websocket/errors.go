package websocket

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Upstream errors. HTTP failures before the upgrade come as *httpError,
// which unwraps to one of these. The exported ones can end Run (callers
// branch on them); the others only steer the reconnect policy.
var (
	// errUnauthorized: the token was rejected (401); get a fresh one.
	errUnauthorized = errors.New("upstream rejected the bearer token")
	// errSinceMalformed: the upstream could not parse since. Our bug: stop.
	errSinceMalformed = errors.New("upstream rejected since as malformed")
	// ErrSinceTooOld: since is older than the upstream's retention; the
	// events in between can no longer be replayed.
	ErrSinceTooOld = errors.New("upstream cannot replay from since: it is older than the upstream's retention")
	// errSinceFuture: since is ahead of the upstream's clock (clock skew);
	// waiting resolves it.
	errSinceFuture = errors.New("upstream rejected since as being in the future")
	// errBadRequest: any other 400.
	errBadRequest = errors.New("upstream rejected the request")
	// errRateLimited: 429; httpError.retryAfter says how long to wait.
	errRateLimited = errors.New("upstream rate-limited the connection")
	// errUnavailable: 5xx or another unexpected status; retry with backoff.
	errUnavailable = errors.New("upstream unavailable")
	// errTokenFetch: no token could be had (file, OAuth2 endpoint).
	errTokenFetch = errors.New("getting an upstream token failed")
	// errIdle: no frame arrived within the idle timeout (half-open link).
	errIdle = errors.New("upstream went silent")
	// errFrameTooLarge: a frame exceeded MAX_FRAME_BYTES. It would be sent
	// again on every replay, so retrying cannot help.
	errFrameTooLarge = errors.New("upstream frame exceeds MAX_FRAME_BYTES")
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
		e.kind = errSinceMalformed
	case res.StatusCode == http.StatusBadRequest:
		e.kind = errBadRequest
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

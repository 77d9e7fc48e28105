package websocket

import (
	"errors"
	"fmt"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// Signals from a connection that the next connection should follow at once.
var (
	errSocketClosing = errors.New("upstream announced socket_closing")
	errTokenRevoked  = errors.New("upstream revoked the token")
)

// reconnect is the decision the reconnect policy takes about an upstream
// connection that ended or was refused. The stream loop carries it out.
type reconnect struct {
	reason     string        // label of analytics_bridge_upstream_disconnects_total
	delay      time.Duration // wait before the next attempt
	invalidate bool          // drop the token first: the upstream rejected it
	gap        bool          // ON_STALE_SINCE=resume-now: record a gap and resume from now
	fatal      error         // stop the bridge: retrying cannot help
}

// afterSession decides what follows a connection that was open and ended
// with err; backoff is the next backoff delay.
func afterSession(err error, backoff time.Duration, maxFrameBytes int64) reconnect {
	d := reconnect{reason: "error", delay: backoff}
	switch status := websocket.CloseStatus(err); {
	case errors.Is(err, errFrameTooLarge):
		d.fatal = fmt.Errorf("%w (MAX_FRAME_BYTES=%d): raise it; the frame is resent on every replay", err, maxFrameBytes)
	case errors.Is(err, errSocketClosing):
		d.reason, d.delay = "socket_closing", 0
	case errors.Is(err, errTokenRevoked), status == websocket.StatusPolicyViolation:
		d.reason, d.delay, d.invalidate = "token_revoked", 0, true
	case errors.Is(err, errIdle):
		d.reason = "idle"
	case status == websocket.StatusGoingAway:
		d.reason, d.delay = "going_away", 0
	case status != -1:
		d.reason = "closed"
	}
	return d
}

// afterRefusal decides what follows a connection attempt that failed with
// err; since is the position it asked for, backoff the next backoff delay.
func afterRefusal(err error, backoff time.Duration, since time.Time, onStale config.StaleSince, topic string) reconnect {
	d := reconnect{reason: "dial", delay: backoff}
	var herr *httpError
	errors.As(err, &herr)
	switch {
	case errors.Is(err, errUnauthorized):
		d.reason, d.invalidate = "unauthorized", true
	case errors.Is(err, ErrSinceTooOld) && onStale == config.StaleSinceResumeNow:
		d.delay, d.gap = 0, true
	case errors.Is(err, ErrSinceTooOld):
		d.fatal = fmt.Errorf("%w: the checkpoint's since %s can no longer be replayed, so the events from then until now are lost upstream (%v). "+
			"To accept this gap and continue from now, set ON_STALE_SINCE=resume-now (a gap marker record is written to %s); "+
			"to start from scratch instead, use a new BRIDGE_NAME", ErrSinceTooOld, since.Format(time.RFC3339Nano), err, topic)
	case errors.Is(err, errSinceMalformed), errors.Is(err, errBadRequest):
		d.fatal = fmt.Errorf("connecting with since=%s: %w", since.Format(sinceFormat), err)
	case errors.Is(err, errSinceFuture):
		d.reason = "since_future"
	case errors.Is(err, errRateLimited):
		d.reason = "rate_limited"
		d.delay = max(d.delay, herr.retryAfter)
	case herr != nil:
		d.reason = fmt.Sprintf("http_%d", herr.status)
		d.delay = max(d.delay, herr.retryAfter)
	}
	return d
}

package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// The rate-limit window (inin-ratelimit-*): an answer that says the
// window is used up holds every later request of the client until it
// resets.

// noteWindow holds later requests while the rate-limit window an answer
// describes is used up.
func (c *Client) noteWindow(h http.Header) {
	d := exhausted(h)
	if d <= 0 {
		return
	}
	until := c.opts.Clock.Now().Add(d)
	c.mu.Lock()
	if until.After(c.notBefore) {
		c.notBefore = until
	}
	c.mu.Unlock()
}

// hold waits out a used-up rate-limit window; one longer than MaxWait
// fails the call at once.
func (c *Client) hold(ctx context.Context, call Call) (time.Duration, error) {
	c.mu.Lock()
	until := c.notBefore
	c.mu.Unlock()
	d := until.Sub(c.opts.Clock.Now())
	if d <= 0 {
		return 0, nil
	}
	if d > c.opts.MaxWait {
		return 0, fmt.Errorf("%w: %s %s: the rate-limit window is used up for another %s, beyond the %s the client waits",
			ErrRateLimited, call.Method, call.Path, d, c.opts.MaxWait)
	}
	if err := clock.SleepUntil(ctx, c.opts.Clock, until); err != nil {
		return 0, err
	}
	return d, nil
}

// Package clock is the time the notifications client keeps: heartbeat
// deadlines, Retry-After waits, backoff, channel renewal. The wall clock in
// production; in tests the Genesys stand-in's manual clock
// (integration/clock.Manual has this method set), so that a test compresses
// heartbeats, rate-limit waits and a channel's day of life without sleeping.
package clock

import (
	"context"
	"time"
)

// Clock is a source of time and of deadlines.
type Clock interface {
	Now() time.Time
	// Until returns a channel closed once the clock reaches t, and a stop
	// function that releases it early.
	Until(t time.Time) (<-chan struct{}, func())
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Until arms a timer for t.
func (Real) Until(t time.Time) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	tm := time.AfterFunc(time.Until(t), func() { close(ch) })
	return ch, func() { tm.Stop() }
}

// Sleep waits until c has moved d past now, or until ctx ends: then it
// returns ctx's cause. A d of zero or less returns at once, with ctx's cause
// (nil while ctx lives).
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	return SleepUntil(ctx, c, c.Now().Add(d))
}

// SleepUntil waits until c reaches t, or until ctx ends (its cause).
func SleepUntil(ctx context.Context, c Clock, t time.Time) error {
	due, stop := c.Until(t)
	defer stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-due:
		return nil
	}
}

// Package clock is the time the in-repo stand-ins (sqsfake, genesys) run on:
// the wall clock in a demo, a manual clock in a test, which compresses
// minutes or days of server time (visibility timeouts, heartbeats, channel
// expiry) into a test that never sleeps.
package clock

import (
	"sync"
	"time"
)

// Clock is the time a stand-in runs on. A Manual clock compresses minutes of
// server time into a test.
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

// Manual moves only when Advance is called.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters map[*waiter]struct{}
}

type waiter struct {
	at time.Time
	ch chan struct{}
}

// NewManual starts a manual clock at start.
func NewManual(start time.Time) *Manual {
	return &Manual{now: start, waiters: map[*waiter]struct{}{}}
}

// Now returns the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Until returns a channel closed when Advance reaches t.
func (c *Manual) Until(t time.Time) (<-chan struct{}, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &waiter{at: t, ch: make(chan struct{})}
	if !t.After(c.now) {
		close(w.ch)
		return w.ch, func() {}
	}
	c.waiters[w] = struct{}{}
	return w.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.waiters, w)
	}
}

// Advance moves the clock forward by d and wakes what was waiting for it.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for w := range c.waiters {
		if !w.at.After(c.now) {
			close(w.ch)
			delete(c.waiters, w)
		}
	}
}

// Waiters reports how many Until channels are armed: a test waits for a long
// poll to be parked before it advances the clock past its deadline.
func (c *Manual) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

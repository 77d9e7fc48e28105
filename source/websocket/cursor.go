package websocket

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source"
)

// cursor turns the core's acknowledged progress into where connections
// resume (since) and which replayed keys the core must still hold.
//
// Invariants:
//   - since = high water - lateness, never before the base's since nor a
//     written gap's end. An event arrives at most `lateness` after newer
//     ones, so every event older than since arrived before the
//     acknowledged prefix ended: replaying from since loses nothing.
//   - the horizon is the older of the next connection's since and the
//     current connection's replay horizon (its since, or its latest event
//     time read less lateness once its events passed it), less one more
//     lateness window for events later than the contract allows: the core
//     keeps every key a connection may still resend.
//   - a connection's since and the reset of its latest event time are
//     recorded under the core's lock (Output.Observe), atomically with the
//     since they are computed from: between the two, acknowledgements could
//     move since and prune keys the new connection's replay resends.
type cursor struct {
	lateness  time.Duration
	baseSince time.Time
	baseHigh  time.Time

	// Under the core's lock (Observe, Position, Horizon).
	connSince time.Time // since of the current connection; zero before the first
	// Written by the reading goroutine, read under the core's lock: the
	// latest event time read on the current connection, in Unix
	// milliseconds rounded down (the upstream's precision; rounding errs
	// towards keeping keys); noneRead before the first.
	connHigh atomic.Int64
	// Owned by the reading goroutine: no connection resumes before it (the
	// end of a gap marker written, acknowledged or not).
	dialFloor time.Time
}

const noneRead = math.MinInt64

func newCursor(since, high time.Time, lateness time.Duration) *cursor {
	if high.Before(since) {
		high = since
	}
	c := &cursor{lateness: lateness, baseSince: since, baseHigh: high}
	c.connHigh.Store(noneRead)
	return c
}

// since is where a replay may resume after progress p.
func (c *cursor) since(p source.Progress) time.Time {
	s := c.highWater(p).Add(-c.lateness)
	if s.Before(c.baseSince) {
		s = c.baseSince
	}
	if s.Before(p.Settled) {
		s = p.Settled
	}
	return s
}

func (c *cursor) highWater(p source.Progress) time.Time {
	if p.HighWater.After(c.baseHigh) {
		return p.HighWater
	}
	return c.baseHigh
}

// Position is the checkpoint of progress p.
func (c *cursor) Position(p source.Progress) source.Position {
	return source.Position{Since: c.since(p), HighWater: c.highWater(p)}
}

// Horizon is the event time before which no connection can resend an
// event, now or after a restart from Position(p).
func (c *cursor) Horizon(p source.Progress) time.Time {
	since := c.since(p)
	current := since // no connection yet: the first resumes at since
	if !c.connSince.IsZero() {
		current = c.connSince
		if high := c.connHigh.Load(); high != noneRead {
			if replay := time.UnixMilli(high).Add(-c.lateness); replay.After(current) {
				current = replay
			}
		}
	}
	if current.Before(since) {
		since = current
	}
	return since.Add(-c.lateness)
}

// resume returns the since of the next connection and starts tracking what
// that connection can resend, in one step under the core's lock.
func (c *cursor) resume(out source.Output) time.Time {
	var since time.Time
	out.Observe(func(p source.Progress) {
		since = c.since(p)
		if since.Before(c.dialFloor) {
			since = c.dialFloor
		}
		c.connSince = since
		c.connHigh.Store(noneRead)
	})
	return since
}

// read notes an event time read on the current connection.
func (c *cursor) read(t time.Time) {
	ms := t.UnixMilli()
	if ms > c.connHigh.Load() {
		c.connHigh.Store(ms) // only the reading goroutine stores
	}
}

// gapWritten makes every later connection resume at or after to.
func (c *cursor) gapWritten(to time.Time) {
	if to.After(c.dialFloor) {
		c.dialFloor = to
	}
}

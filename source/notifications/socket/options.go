package socket

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// Options configure a socket. Zero values take the defaults shown.
type Options struct {
	// HTTPClient makes the handshake (default http.DefaultClient, with a
	// 30 s handshake timeout).
	HTTPClient *http.Client
	// Clock is the watchdog's time (default clock.Real).
	Clock clock.Clock
	// QuietAfter is how long the socket may be silent before it is pinged
	// (45 s: one and a half heartbeats).
	QuietAfter time.Duration
	// PongTimeout is how long a ping may go unanswered (15 s).
	PongTimeout time.Duration
	// PongFloor is the least wall-clock time a ping is given, whatever
	// the Clock says: a compressed test clock must not declare a socket
	// silent before a pong could cross the loopback (1 s).
	PongFloor time.Duration
	// MaxFrame bounds one message (16 MiB).
	MaxFrame int64
	// Totals, when set, counts for every socket dialled with these
	// options, beside each socket's own Stats.
	Totals *Counters
}

// Counters count what sockets read and what their watchdogs did.
type Counters struct {
	Frames atomic.Uint64 // frames read, heartbeats and pongs included
	Beats  atomic.Uint64 // heartbeats and pongs read
	Pings  atomic.Uint64 // client pings the watchdogs sent
	Checks atomic.Uint64 // times a watchdog looked (at the end of each quiet period and pong wait)
}

// Stats returns the counters' values.
func (t *Counters) Stats() Stats {
	return Stats{Frames: t.Frames.Load(), Beats: t.Beats.Load(), Pings: t.Pings.Load(), Checks: t.Checks.Load()}
}

// count adds one to a socket's counter and to the totals' (if any).
func (c *Conn) count(counter func(*Counters) *atomic.Uint64) {
	counter(&c.counts).Add(1)
	if c.opts.Totals != nil {
		counter(c.opts.Totals).Add(1)
	}
}

func (o Options) withDefaults() Options {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.QuietAfter <= 0 {
		o.QuietAfter = 45 * time.Second
	}
	if o.PongTimeout <= 0 {
		o.PongTimeout = 15 * time.Second
	}
	if o.PongFloor <= 0 {
		o.PongFloor = time.Second
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = 16 << 20
	}
	return o
}

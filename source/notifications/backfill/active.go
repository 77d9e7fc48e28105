package backfill

import (
	"context"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// settleAfter is how long after an interval ends the fetch waits: the
// platform wants a details query to end at least a minute before now
// (fresher rows drift), and a second more absorbs the skew between this
// clock and the platform's.
const settleAfter = time.Minute + time.Second

// Active returns every conversation that had activity in [from, to):
// started before `to` and not ended before `from` (ended or not), each
// once, in conversationStart order. It first waits, on the clock, until
// `to` is more than a minute in the past (the API refuses or drifts
// otherwise). See the package doc for how the interval is covered.
func (f *Fetcher) Active(ctx context.Context, from, to time.Time) ([]Conversation, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("backfill %s/%s: the interval must end after it starts", from, to)
	}
	clk := f.opts.API.Clock()
	if err := clock.SleepUntil(ctx, clk, ceilMillisecond(to).Add(settleAfter)); err != nil {
		return nil, err
	}
	c := newCollector(f.be, f.opts, f.cap, from, to)
	if err := c.run(ctx); err != nil {
		return nil, fmt.Errorf("backfill %s: %w", interval{from, to}, err)
	}
	out := c.found.activeIn(from, to)
	f.opts.Logger.Debug().Stringer("interval", interval{from, to}).Int("rows", c.found.added).
		Int("conversations", len(c.found.list)).Int("active", len(out)).Msg("back-fill fetched")
	return out, nil
}

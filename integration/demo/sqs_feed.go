package demo

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// Sizes of the feed's buffers.
const (
	feedChunk  = 8   // conversations generated at a time
	feedRecent = 256 // originals kept for resends
)

// feed is Genesys Cloud's EventBridge integration as the queue sees it:
// detail events of generated conversations put on the queue at a steady
// rate, and on demand the same events again under new EventBridge ids (a
// Genesys resend). Its ledger holds the distinct (topicName, eventBody)
// pairs sent, the verdict's reference. Safe for concurrent use; run sends
// until stop.
type feed struct {
	q     *sqstest.Queue
	rate  float64
	start time.Time

	originals atomic.Int64 // distinct events sent (each original is new content)
	messages  atomic.Int64 // messages sent: originals and resends

	mu      sync.Mutex // guards the fields below and every send
	g       *eventbridge.Generator
	ledger  *eventbridge.Ledger
	next    []eventbridge.Event // generated, not yet sent
	recent  []eventbridge.Event // the latest originals sent
	stopped bool
	err     error
}

// newFeed returns a feed of rate events per second whose conversations
// start around now (their events' times are in the recent past).
func newFeed(q *sqstest.Queue, rate float64, start time.Time) *feed {
	// A conversation is about six detail events: conversations start as
	// often as that rate needs, so that event times keep pace with the
	// clock.
	every := time.Duration(6 * float64(time.Second) / rate)
	g := eventbridge.New(eventbridge.Options{Seed: uint64(start.UnixNano()), Start: start.Add(-15 * time.Minute), Every: every})
	return &feed{q: q, rate: rate, start: start, g: g, ledger: eventbridge.NewLedger()}
}

// run sends at the feed's rate until ctx ends or stop.
func (f *feed) run(ctx context.Context) {
	for retry.Sleep(ctx, 10*time.Millisecond) == nil {
		due := int64(f.rate*time.Since(f.start).Seconds()) - f.originals.Load()
		if !f.send(due) {
			return
		}
	}
}

// send puts up to n originals on the queue; false once the feed stopped.
func (f *feed) send(n int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ; n > 0 && !f.stopped; n-- {
		if len(f.next) == 0 {
			f.next = f.g.Stream(feedChunk)
		}
		e := f.next[0]
		f.next = f.next[1:]
		if !f.putLocked(e) {
			break
		}
		f.ledger.Add(e.TopicName, e.EventBody)
		f.originals.Add(1)
		f.recent = append(f.recent, e)
		if len(f.recent) > 2*feedRecent {
			f.recent = append(f.recent[:0], f.recent[len(f.recent)-feedRecent:]...)
		}
	}
	return !f.stopped
}

// putLocked sends one message; a failure stops the feed.
func (f *feed) putLocked(e eventbridge.Event) bool {
	if _, err := f.q.Server.Send(sqstest.QueueName, string(e.Body)); err != nil {
		f.err, f.stopped = fmt.Errorf("putting an event on the queue: %w", err), true
		return false
	}
	f.messages.Add(1)
	return true
}

// resend puts the latest n originals on the queue again, as Genesys does
// when it retries a put: the same detail under a new EventBridge id and
// time. It returns how many it sent.
func (f *feed) resend(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	picked := f.recent[max(0, len(f.recent)-n):]
	sent := 0
	for _, e := range picked {
		if f.stopped || !f.putLocked(f.g.Resend(e, 2*time.Minute)) {
			break
		}
		sent++
	}
	return sent
}

// stop ends the sends and returns the ledger of what was sent, and the
// error that stopped the feed early, if any.
func (f *feed) stop() (*eventbridge.Ledger, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	return f.ledger, f.err
}

package integration_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// feeder sends generated Genesys events (with resends, as Genesys retries
// puts) to a queue at a steady rate from a goroutine of its own, until
// stop. The generator and the ledger of what was sent belong to that
// goroutine until stop returns.
type feeder struct {
	g       *eventbridge.Generator
	ledger  *eventbridge.Ledger // the pairs sent (the generator's has those generated)
	sent    atomic.Int64
	resends atomic.Int64
	stopCh  chan struct{}
	done    chan error
}

// feedConversations is how many conversations (about 6 events each) the
// feeder generates at a time; resends come within such a chunk.
const feedConversations = 20

// startFeeder sends rate messages per second to q until stop.
func startFeeder(t *testing.T, q *sqstest.Queue, seed uint64, rate int) *feeder {
	t.Helper()
	f := &feeder{g: eventbridge.New(eventbridge.Options{Seed: seed, ResendRate: 0.05}), ledger: eventbridge.NewLedger(), stopCh: make(chan struct{}), done: make(chan error, 1)}
	go func() { f.done <- f.run(q, rate) }()
	t.Cleanup(func() { f.stopQuietly() })
	return f
}

func (f *feeder) run(q *sqstest.Queue, rate int) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	var pending []eventbridge.Event
	for {
		select {
		case <-f.stopCh:
			return nil
		case <-tick.C:
		}
		due := int64(time.Since(start).Seconds() * float64(rate))
		for f.sent.Load() < due {
			if len(pending) == 0 {
				pending = f.g.Stream(feedConversations)
			}
			e := pending[0]
			pending = pending[1:]
			if _, err := q.Server.Send(sqstest.QueueName, string(e.Body)); err != nil {
				return err
			}
			f.ledger.Add(e.TopicName, e.EventBody)
			if e.Resend {
				f.resends.Add(1)
			}
			f.sent.Add(1)
		}
	}
}

// stop ends the feeding and returns the ledger of what was sent.
func (f *feeder) stop(t *testing.T) *eventbridge.Ledger {
	t.Helper()
	if err := f.stopQuietly(); err != nil {
		t.Fatalf("sending to the queue: %v", err)
	}
	return f.ledger
}

func (f *feeder) stopQuietly() error {
	select {
	case <-f.stopCh:
	default:
		close(f.stopCh)
	}
	err := <-f.done
	f.done <- err
	return err
}

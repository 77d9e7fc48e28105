package integration_test

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// TestSQSResends: Genesys puts an event again under a new EventBridge id
// and time, around the same detail bytes. Each resend is dropped, whether
// it comes amid the stream, long after its first copy was committed and
// deleted (dated days later, of an event four days old, as Genesys resends
// them), or after the bridge was stopped and started again, when only the
// topic's tail scan can know the first copy. In both commit modes.
func TestSQSResends(t *testing.T) {
	bothModes(t, func(t *testing.T, txn string) {
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 11}, nil)
		g := eventbridge.New(eventbridge.Options{Seed: 13, ResendRate: 0.15, Start: time.Now().Add(-96 * time.Hour).Truncate(time.Second)})
		events := g.Stream(20)
		rig := newSQSRig(t, c, q, txn, nil)

		first := rig.start()
		sendAll(t, q, events)
		rig.waitExactlyOnce(g.Ledger(), first)
		written := time.Now()
		inStream := len(events) - g.Ledger().Len()

		// Long after: the window has been pruned since the first copies
		// were written, which drops keys kept by any time older than
		// DEDUP_WINDOW (the events' own times are four days old).
		rig.waitPrunedAfter(first, written)
		later := resendsOf(g, events, 4, 72*time.Hour)
		sendAll(t, q, later)
		report := rig.waitExactlyOnce(g.Ledger(), first)
		if got, want := first.metric(t, "analytics_bridge_duplicates_dropped_total"), float64(inStream+len(later)); got != want {
			t.Fatalf("first run dropped %v duplicates, want %v (%d resends amid the stream, %d later)", got, want, inStream, len(later))
		}
		if err := first.stop(t); err != nil {
			t.Fatalf("stopping the first run: %v", err)
		}

		second := rig.start()
		after := resendsOf(g, events, 3, 96*time.Hour)
		sendAll(t, q, after)
		report = rig.waitExactlyOnce(g.Ledger(), second)
		if got := second.metric(t, "analytics_bridge_duplicates_dropped_total"); got != float64(len(after)) {
			t.Fatalf("after the restart %v duplicates were dropped, want %d", got, len(after))
		}
		s := q.Server.Stats()
		if s.Received != len(events)+len(later)+len(after) || s.Deleted != s.Received {
			t.Fatalf("stand-in %+v: want every message received once and deleted", s)
		}
		t.Logf("%d events: %d resends amid the stream, %d long after, %d after a restart; %+v; stand-in %+v",
			g.Ledger().Len(), inStream, len(later), len(after), report, s)
	})
}

// compactPruneEvery is how far the bounded dedup window's cutoff moves
// between two walks of its table (the bridge's constant of that name).
const compactPruneEvery = 5 * time.Second

// waitPrunedAfter waits until the run's dedup window was pruned after t:
// until a checkpoint's horizon (its Since, now minus DEDUP_WINDOW when it
// was written) is more than compactPruneEvery past the horizon at t.
func (r *sqsRig) waitPrunedAfter(run *sqsRun, at time.Time) {
	r.t.Helper()
	window, err := time.ParseDuration(r.env.DedupWindow)
	if err != nil {
		r.t.Fatalf("DEDUP_WINDOW %q: %v", r.env.DedupWindow, err)
	}
	past := float64(at.Add(-window + compactPruneEvery + time.Second).Unix())
	waitFor(r.t, "the dedup window pruned since the first copies", func() bool {
		return run.metric(r.t, "analytics_bridge_checkpoint_since_seconds") >= past
	})
}

// resendsOf is a resend of every n-th original of events, put delay after
// it.
func resendsOf(g *eventbridge.Generator, events []eventbridge.Event, n int, delay time.Duration) []eventbridge.Event {
	var out []eventbridge.Event
	for i, e := range events {
		if !e.Resend && i%n == 0 {
			out = append(out, g.Resend(e, delay))
		}
	}
	return out
}

func sendAll(t *testing.T, q *sqstest.Queue, events []eventbridge.Event) {
	t.Helper()
	if err := q.Send(events); err != nil {
		t.Fatalf("sending %d events: %v", len(events), err)
	}
}

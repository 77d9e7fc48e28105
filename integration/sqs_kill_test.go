package integration_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// TestSQSKillBetweenCommitAndDelete SIGKILLs the real binary after its
// records were committed but before any of their messages was deleted
// (every delete fails). The next instance gets the messages back after
// their visibility timeout: it must drop them, its dedup window rebuilt
// from the topic's read_committed tail, and delete them. Then Genesys
// resends of the committed events (new EventBridge ids around the same
// detail) must be dropped too: the key is the content, not the id. Both
// commit modes.
func TestSQSKillBetweenCommitAndDelete(t *testing.T) {
	bothModes(t, func(t *testing.T, transactions string) {
		s := newSQSProcessSetup(t, 11, func(e *config.Env) { e.KafkaTransactions = transactions })
		g := eventbridge.New(eventbridge.Options{Seed: 13})
		first := g.Stream(30)
		s.q.Server.FailDeleteEntries(math.MaxInt32)
		if err := s.q.Send(first); err != nil {
			t.Fatal(err)
		}
		logFile := proctest.NewLog(t, "bridge.log")
		a := s.start(t, s.env, logFile)
		waitTopicHolds(t, s, g.Ledger())
		waitFor(t, "a delete to fail", func() bool { return s.q.Server.Stats().FailedEntries > 0 })
		a.Kill(t)
		if st := s.q.Server.Stats(); st.Deleted != 0 {
			t.Fatalf("%d messages were deleted before the kill: the test proves nothing (%+v)", st.Deleted, st)
		}
		if n := s.q.Server.InFlight(sqstest.QueueName) + s.q.Server.Visible(sqstest.QueueName); n != len(first) {
			t.Fatalf("%d messages on the queue at the kill, want all %d", n, len(first))
		}
		s.q.Server.FailDeleteEntries(0)

		// The next instance gets the whole first batch back, drops it and
		// deletes it: nothing of it was deleted before the kill.
		b := s.start(t, s.env, logFile)
		waitFor(t, "the first batch deleted", func() bool { return s.q.Server.Stats().Deleted >= len(first) })
		waitTopicHolds(t, s, g.Ledger())

		// Then resends of every third committed event, and new events.
		var second []eventbridge.Event
		for i := 0; i < len(first); i += 3 {
			second = append(second, g.Resend(first[i], time.Minute))
		}
		resends := len(second)
		second = append(second, g.Stream(5)...)
		if err := s.q.Send(second); err != nil {
			t.Fatal(err)
		}
		report := waitExactlyOnce(t, s.kafka, s.env.KafkaTopic, g.Ledger(), s.q)
		b.Stop(t)
		t.Logf("committed before the kill: %d messages, none deleted; redelivered to the next instance, dropped and deleted; then %d more (%d resends); %+v; stand-in %+v",
			len(first), len(second), resends, report, s.q.Server.Stats())
	})
}

// waitTopicHolds waits until a read_committed reader finds every pair of
// ledger in the setup's topic once; a duplicate fails the test at once.
func waitTopicHolds(t *testing.T, s *sqsProcessSetup, ledger *eventbridge.Ledger) eventbridge.Report {
	t.Helper()
	var r eventbridge.Report
	waitForErr(t, "every event in the topic (read_committed)", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		r, err = sqstest.Verdict(ctx, s.kafka, s.env.KafkaTopic, ledger)
		if err != nil {
			return false, err
		}
		if r.Duplicates > 0 || r.Unexpected > 0 || r.Malformed > 0 {
			t.Fatalf("not exactly once: %+v", r)
		}
		return r.ExactlyOnce(), nil
	})
	return r
}

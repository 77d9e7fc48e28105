package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/bridgetest"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// Genesys events through the SQS stand-in, with resends under new
// EventBridge ids and duplicate deliveries, land exactly once, and every
// message is deleted; in both commit modes.
func TestSQSExactlyOnce(t *testing.T) {
	for _, txn := range []string{"true", "false"} {
		t.Run("transactions="+txn, func(t *testing.T) {
			sqstest.Setenv(t)
			c := kafkatest.Start(t)
			q := sqstest.Start(t, sqsfake.Options{Seed: 5}, nil)
			g := eventbridge.New(eventbridge.Options{Seed: 7, ResendRate: 0.1})
			events := g.Stream(40)
			q.Server.DuplicateNext(20)
			if err := q.Send(events); err != nil {
				t.Fatal(err)
			}
			env := sqstest.Env(c, q)
			env.KafkaTransactions = txn
			cfg, err := env.Validate()
			if err != nil {
				t.Fatal(err)
			}
			b := bridgetest.New(t, cfg, bridgetest.Logger(t), nil)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- b.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			report := waitExactlyOnce(t, c, cfg.KafkaTopic, g.Ledger(), q)
			t.Logf("%d messages sent (%d resends), %+v, stand-in %+v", len(events), len(events)-g.Ledger().Len(), report, q.Server.Stats())
			if s := q.Server.Stats(); s.Duplicated == 0 {
				t.Fatalf("no duplicate delivery happened: the test proves nothing (%+v)", s)
			}
		})
	}
}

// waitExactlyOnce waits until the queue is drained and the topic holds
// each ledger pair once, and fails with the last verdict when that does not
// come within a minute.
func waitExactlyOnce(t *testing.T, c *kafkatest.Cluster, topic string, ledger *eventbridge.Ledger, q *sqstest.Queue) eventbridge.Report {
	t.Helper()
	return waitDelivered(t, c, topic, ledger, q, 0)
}

// waitDelivered is waitExactlyOnce allowing up to maxDuplicates values read
// twice (what a mode without broker-side fencing may write twice).
func waitDelivered(t *testing.T, c *kafkatest.Cluster, topic string, ledger *eventbridge.Ledger, q *sqstest.Queue, maxDuplicates int) eventbridge.Report {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var report eventbridge.Report
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		r, err := sqstest.Verdict(ctx, c, topic, ledger)
		cancel()
		if err == nil {
			report = r
			if r.Missing == 0 && r.Unexpected == 0 && r.Malformed == 0 && r.Duplicates <= maxDuplicates && q.Drained() {
				return r
			}
			if r.Duplicates > maxDuplicates || r.Unexpected > 0 || r.Malformed > 0 {
				t.Fatalf("not exactly once: %+v", r)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %+v (read error %v); queue drained %v, stand-in %+v", report, err, q.Drained(), q.Server.Stats())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

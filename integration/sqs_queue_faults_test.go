package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
	"github.com/analytics-bridge/analytics-bridge/source/sqs"
)

// The queue's own faults, injected by the stand-in. The SDK's retryer is
// off (AWS_MAX_ATTEMPTS=1) where they are calls that fail, so that each
// one reaches the source's own retry (RECONNECT_*_BACKOFF, 10-500 ms here)
// instead of the SDK's backoff of seconds.

// TestSQSFailingDeletes: deletes of committed messages fail, whole calls
// (retried) and entries (retried, then given up): the messages whose
// delete failed come back after the queue's visibility timeout (2 s), are
// dropped as duplicates and deleted then.
func TestSQSFailingDeletes(t *testing.T) {
	bothModes(t, func(t *testing.T, txn string) {
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 41}, map[string]string{"VisibilityTimeout": "2"})
		rig := newSQSRig(t, c, q, txn, func(e *config.Env) { e.DedupWindow = "1m" })
		g := eventbridge.New(eventbridge.Options{Seed: 43})
		events := g.Stream(5)
		n := len(events)
		q.Server.FailNext("DeleteMessageBatch", sqsfake.InternalFailure, 2)
		// Every entry fails until each message's delete was tried
		// maxDeleteAttempts (5) times and given up.
		q.Server.FailDeleteEntries(5 * n)
		run := rig.start()
		sendAll(t, q, events)
		report := rig.waitExactlyOnce(g.Ledger(), run)
		s := q.Server.Stats()
		failures := run.metric(t, "analytics_bridge_sqs_delete_failures_total")
		dropped := run.metric(t, "analytics_bridge_duplicates_dropped_total")
		if s.FailedCalls != 2 || s.FailedEntries != 5*n || failures == 0 || s.Redelivered < int(failures) || dropped < failures {
			t.Fatalf("stand-in %+v, %v deletes given up, %v duplicates dropped: want the faults applied, and every message whose delete was given up back and dropped",
				s, failures, dropped)
		}
		if s.Deleted != n {
			t.Fatalf("stand-in %+v: want each of the %d messages deleted once", s, n)
		}
		t.Logf("%d events; %v deletes given up, %v redeliveries dropped; %+v; stand-in %+v", n, failures, dropped, report, s)
	})
}

// TestSQSReceiveFaults: ReceiveMessage is throttled (ThrottlingException,
// RequestThrottled) and fails on the server's side (InternalFailure,
// ServiceUnavailable): each failure is counted by its code and retried,
// and nothing is lost.
func TestSQSReceiveFaults(t *testing.T) {
	kinds := []sqsfake.ErrorKind{sqsfake.ThrottlingException, sqsfake.RequestThrottled, sqsfake.InternalFailure, sqsfake.ServiceUnavailable}
	const each = 3
	bothModes(t, func(t *testing.T, txn string) {
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 47}, nil)
		rig := newSQSRig(t, c, q, txn, nil)
		g := eventbridge.New(eventbridge.Options{Seed: 53, ResendRate: 0.1})
		events := g.Stream(10)
		for _, k := range kinds {
			q.Server.FailNext("ReceiveMessage", k, each)
		}
		sendAll(t, q, events)
		run := rig.start()
		report := rig.waitExactlyOnce(g.Ledger(), run)
		for _, k := range kinds {
			if got := run.metric(t, "analytics_bridge_sqs_receive_errors_total", "code", k.String()); got != each {
				t.Errorf("receive errors with code %s: %v, want %d", k, got, each)
			}
		}
		if s := q.Server.Stats(); s.FailedCalls != each*len(kinds) || s.Received != len(events) {
			t.Fatalf("stand-in %+v: want %d failed receives, and each message received once", s, each*len(kinds))
		}
		t.Logf("%d messages, %d failed receives; %+v; stand-in %+v", len(events), each*len(kinds), report, q.Server.Stats())
	})
}

// TestSQSReorder: the queue hands messages out in shuffled order, with
// duplicate deliveries and resends among them (a resend may now come
// before its original): each event is written once. One receive loop, so
// that the order the records land in is the order SQS chose.
func TestSQSReorder(t *testing.T) {
	bothModes(t, func(t *testing.T, txn string) {
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 59}, nil)
		rig := newSQSRig(t, c, q, txn, func(e *config.Env) { e.SQSReceivers = "1" })
		g := eventbridge.New(eventbridge.Options{Seed: 61, ResendRate: 0.2})
		events := g.Stream(15)
		q.Server.Reorder(true)
		q.Server.DuplicateNext(10)
		sendAll(t, q, events)
		run := rig.start()
		report := rig.waitExactlyOnce(g.Ledger(), run)
		inversions, resendsFirst := outOfSendOrder(t, c, rig.env.KafkaTopic, events)
		if inversions == 0 {
			t.Fatal("every partition holds its records in send order: the queue did not reorder")
		}
		t.Logf("%d messages, %d records out of send order, %d written from a resend that came before its original; %+v; stand-in %+v",
			len(events), inversions, resendsFirst, report, q.Server.Stats())
	})
}

// outOfSendOrder counts the records of topic that follow, in their
// partition, a record of a message sent later, and those written from a
// resend.
func outOfSendOrder(t *testing.T, c *kafkatest.Cluster, topic string, events []eventbridge.Event) (inversions, resends int) {
	t.Helper()
	sent := map[string]int{}
	for i, e := range events {
		sent[e.ID] = i
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	records, err := c.ReadAll(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	latest := map[int]int{}
	for _, r := range records {
		i, ok := sent[r.Headers[sqs.HeaderEventBridgeID]]
		if !ok {
			t.Fatalf("record with EventBridge id %q, not one sent", r.Headers[sqs.HeaderEventBridgeID])
		}
		if last, seen := latest[r.Partition]; seen && i < last {
			inversions++
		}
		latest[r.Partition] = max(latest[r.Partition], i)
		if events[i].Resend {
			resends++
		}
	}
	return inversions, resends
}

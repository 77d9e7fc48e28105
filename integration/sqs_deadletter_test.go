package integration_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// badMessages are bodies that are not EventBridge events, with what their
// dead letter's reason says.
var badMessages = []struct{ body, reason string }{
	{`not json at all`, "not a JSON object"},
	{`[1, 2, 3]`, "not a JSON object"},
	{`{"id": "cut", "detail": {"topicName": `, "not a JSON object"},
	{`{"version": "0", "id": "no-detail", "detail-type": "x", "source": "s", "time": "2026-12-01T00:00:00Z"}`, "no detail object"},
	{`{"id": "detail-string", "time": "2026-12-01T00:00:00Z", "detail": "a string"}`, "no detail object"},
	{`{"id": "no-time", "detail": {"topicName": "v2.detail.events.conversation.x.customer.start", "eventBody": {"conversationId": "x"}}}`, "has no time"},
	{`{"id": "bad-time", "time": "yesterday", "detail": {"topicName": "t", "eventBody": {"eventTime": "soon"}}}`, "has no time"},
}

// TestSQSBadMessages: messages that are not EventBridge events (not JSON,
// no detail object, no time), each delivered twice, land in the
// dead-letter topic once each, with their reason, and are deleted from the
// queue like events; the events around them land exactly once.
func TestSQSBadMessages(t *testing.T) {
	bothModes(t, func(t *testing.T, txn string) {
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 71}, nil)
		rig := newSQSRig(t, c, q, txn, nil)
		g := eventbridge.New(eventbridge.Options{Seed: 73})
		for _, m := range badMessages {
			if _, err := q.Server.Send(sqstest.QueueName, m.body); err != nil {
				t.Fatal(err)
			}
		}
		q.Server.DuplicateNext(len(badMessages)) // the first deliveries are the bad ones
		events := g.Stream(5)
		sendAll(t, q, events)
		run := rig.start()
		report := rig.waitExactlyOnce(g.Ledger(), run)

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		dlq := rig.env.KafkaTopic + ".dlq"
		records, err := c.ReadAll(ctx, dlq)
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]string{}
		for _, r := range records {
			if _, twice := reasons[string(r.Value)]; twice {
				t.Errorf("dead-lettered twice: %q", r.Value)
			}
			reasons[string(r.Value)] = r.Headers[bridge.HeaderError]
			if kind := r.Headers[bridge.HeaderRecordKind]; kind != "dead-letter" {
				t.Errorf("%s record of kind %q", dlq, kind)
			}
		}
		for _, m := range badMessages {
			reason, ok := reasons[m.body]
			switch {
			case !ok:
				t.Errorf("not dead-lettered: %q", m.body)
			case !strings.Contains(reason, m.reason) || !strings.Contains(reason, "SQS message"):
				t.Errorf("dead letter %q: reason %q, want it to say %q and name the SQS message", m.body, reason, m.reason)
			}
		}
		if len(records) != len(badMessages) {
			t.Errorf("%d dead letters, want %d", len(records), len(badMessages))
		}
		s := q.Server.Stats()
		if s.Duplicated != len(badMessages) || s.Deleted != s.Received {
			t.Fatalf("stand-in %+v: want each bad message delivered twice, and every delivery deleted", s)
		}
		t.Logf("%d bad messages (each delivered twice): %d dead letters; events %+v; stand-in %+v", len(badMessages), len(records), report, s)
	})
}

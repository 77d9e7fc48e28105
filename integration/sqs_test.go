package integration_test

import (
	"testing"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// Genesys events through the SQS stand-in, with resends under new
// EventBridge ids and duplicate deliveries, land exactly once, and every
// message is deleted; in both commit modes.
func TestSQSExactlyOnce(t *testing.T) {
	bothModes(t, func(t *testing.T, txn string) {
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 5}, nil)
		g := eventbridge.New(eventbridge.Options{Seed: 7, ResendRate: 0.1})
		events := g.Stream(40)
		q.Server.DuplicateNext(20)
		if err := q.Send(events); err != nil {
			t.Fatal(err)
		}
		rig := newSQSRig(t, c, q, txn, nil)
		run := rig.start()
		report := rig.waitExactlyOnce(g.Ledger(), run)
		t.Logf("%d messages sent (%d resends), %+v, stand-in %+v", len(events), len(events)-g.Ledger().Len(), report, q.Server.Stats())
		if s := q.Server.Stats(); s.Duplicated == 0 {
			t.Fatalf("no duplicate delivery happened: the test proves nothing (%+v)", s)
		}
	})
}

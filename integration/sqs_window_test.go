package integration_test

import (
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// TestSQSDedupWindowFull: more keys within DEDUP_WINDOW than DEDUP_MAX_KEYS
// (1000) holds. The window forgets its oldest keys early and counts them;
// the bridge keeps running and loses nothing. Only a resend of a forgotten
// key could be written twice, so duplicates stay within the resends.
func TestSQSDedupWindowFull(t *testing.T) {
	const maxKeys = 1000
	bothModes(t, func(t *testing.T, txn string) {
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 79}, nil)
		rig := newSQSRig(t, c, q, txn, func(e *config.Env) { e.DedupMaxKeys = "1000" })
		g := eventbridge.New(eventbridge.Options{Seed: 83, ResendRate: 0.03})
		events := g.Stream(200)
		run := rig.start()
		sendAll(t, q, events)
		rig.waitNoLoss(g.Ledger(), run)
		if g.Ledger().Len() <= maxKeys {
			t.Fatalf("only %d keys: the window is never full", g.Ledger().Len())
		}
		// Still running: more events land.
		more := g.Stream(20)
		sendAll(t, q, more)
		report := rig.waitNoLoss(g.Ledger(), run)
		resends := len(events) + len(more) - g.Ledger().Len()
		evicted := run.metric(t, "analytics_bridge_dedup_window_evicted_total")
		if evicted == 0 || report.Duplicates > resends {
			t.Fatalf("%v keys evicted, %+v: want evictions, and no more duplicates than the %d resends", evicted, report, resends)
		}
		t.Logf("%d events (%d resends) through a window of %d keys: %v evicted; %+v; stand-in %+v",
			g.Ledger().Len(), resends, maxKeys, evicted, report, q.Server.Stats())
	})
}

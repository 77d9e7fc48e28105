package gcnotifications_test

import (
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// restart: the bridge stops while the gap of an outage still waits for
// its back-fill (the one-minute rule), and stays down while calls come
// and go; a new bridge resumes from the checkpoint. Both the gap it
// listed and the downtime are back-filled, with
// KAFKA_TRANSACTIONS=transactions.
func restart(t *testing.T, transactions string, seed uint64) {
	r := newRig(t, setup{standin: genesys.Options{Seed: seed, CallPace: 0.05},
		env: func(e *config.Env) { e.KafkaTransactions = transactions }})
	ru := r.start()
	r.g.AddConversations(time.Now(), 40, 750*time.Millisecond)
	ch := r.connected(ru)
	closed := r.outage(ru, func() {
		if err := r.g.DropSocket(ch, websocket.StatusInternalError); err != nil {
			t.Fatal(err)
		}
	}, nil)
	r.connected(ru)
	// A checkpoint past the outage: the new bridge must find its gap
	// listed, not a Live from before it.
	r.waitFor(ru, time.Minute, "the live stream complete again", func() bool {
		return ru.metric(t, "analytics_bridge_notifications_complete_lag_seconds") < 4
	})
	written := ru.metric(t, "analytics_bridge_checkpoints_written_total")
	r.waitFor(ru, time.Minute, "two more checkpoints", func() bool {
		return ru.metric(t, "analytics_bridge_checkpoints_written_total") >= written+2
	})
	ru.stop(t)

	var down []string
	for _, c := range r.g.AddConversations(time.Now(), 8, 300*time.Millisecond) {
		down = append(down, c.ID)
	}
	r.waitFor(nil, time.Minute, "two calls to end while the bridge is down", func() bool {
		ended := 0
		for _, c := range r.g.Conversations() {
			if slices.Contains(down, c.ID) && c.End.Before(time.Now().Add(-time.Second)) {
				ended++
			}
		}
		return ended >= 2
	})
	ru2 := r.start()
	rep := r.waitCovered(ru2)
	unseen := r.mustUnseen(r.view(), map[string][]string{"closed 1011, then a restart": closed, "the bridge down": down})
	r.logReport(ru2, rep, unseen)
}

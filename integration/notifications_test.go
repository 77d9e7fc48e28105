package integration_test

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// TestNotificationsCoversEveryConversation runs the bridge on the
// stand-in's calls with nothing going wrong but what every start has (the
// conversations in progress, and the detail topics subscribed after each
// began): every conversation that ends is covered, no dedup key twice.
func TestNotificationsCoversEveryConversation(t *testing.T) {
	c := kafkatest.Start(t)
	r := newNotificationsRig(t, c, genesys.Options{Seed: 3, CallPace: 0.05}, nil)
	run := r.start()
	r.g.AddConversations(time.Now(), 40, 250*time.Millisecond)
	report := r.waitCovered(40, run)
	t.Logf("%s", report)
}

package notifications_test

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// Topic changes on a connected channel are sent at most once a
// SubscribeEvery: three conversations discovered one after another cost one
// PUT, made when the period has passed.
func TestSubscriptionChangesArePaced(t *testing.T) {
	r := newRig(t, config{opts: notifications.Options{SubscribeEvery: 10 * time.Second}})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	puts := r.client.Stats().Subscriptions
	for _, id := range []string{"c1", "c2", "c3"} {
		if err := r.client.Subscribe([]string{"v2.detail.events.conversation." + id + ".acd.start"}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		r.waitFor("the topic wanted", func() bool { return r.client.Status().Budget.Wanted > len(topics) })
	}
	r.waitFor("all three wanted", func() bool { return r.client.Status().Budget.Wanted == len(topics)+3 })
	if got := r.client.Stats().Subscriptions; got != puts {
		t.Fatalf("%d PUTs within the period, want none", got-puts)
	}
	r.advance(10 * time.Second)
	r.connected(len(topics) + 3)
	if got := r.client.Stats().Subscriptions; got != puts+1 {
		t.Fatalf("%d PUTs for three changes in one period, want 1", got-puts)
	}
}

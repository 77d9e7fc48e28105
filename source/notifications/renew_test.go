package notifications_test

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// keepsChannel moves the clock past the channel's first expiry and checks
// that the client kept its channel and socket, read everything, and
// reported no gap.
func (r *rig) keepsChannel(ch string, topics []string, from time.Time) {
	r.t.Helper()
	for range 4 {
		r.advance(30 * time.Second)
	}
	r.caughtUp(ch)
	if id := r.channelOf(); id != ch {
		r.t.Errorf("channel %s, want %s kept", id, ch)
	}
	if st := r.client.Stats(); st.ChannelsCreated != 1 || st.SocketsConnected != 1 {
		r.t.Errorf("stats %+v: want the first channel and socket kept", st)
	}
	if g := r.rec.gapList(); len(g) != 0 {
		r.t.Errorf("gaps %+v, want none", g)
	}
	if n := len(r.uncovered(topics, from)); n != 0 {
		r.t.Errorf("%d notifications not read", n)
	}
}

// streaming-subscriptions-expiring makes the client PUT its subscriptions
// again at once; the channel lives on past its first 24 h.
func TestSubscriptionsExpiringRenews(t *testing.T) {
	r := newRig(t, config{opts: notifications.Options{RenewBefore: 10 * time.Second}})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	ch := r.channelOf()
	start := r.kit.Clock.Now()
	r.advance(24*time.Hour - time.Minute) // the warning comes now; the client's own renewal 50 s later
	r.waitStats("the renewal", func(s notifications.Stats) bool { return s.Renewals == 1 })
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 20, 5*time.Second)
	r.keepsChannel(ch, topics, start.Add(24*time.Hour-time.Minute))
}

// Without the platform's warning, the client renews RenewBefore the
// expiry on its own.
func TestRenewsBeforeExpiry(t *testing.T) {
	r := newRig(t, config{standin: genesys.Options{ExpiringWarning: time.Second}, opts: notifications.Options{RenewBefore: time.Hour}})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	ch := r.channelOf()
	start := r.kit.Clock.Now()
	r.advance(23 * time.Hour)
	r.waitStats("the renewal", func(s notifications.Stats) bool { return s.Renewals == 1 })
	r.advance(59 * time.Minute)
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 20, 5*time.Second)
	r.keepsChannel(ch, topics, start.Add(24*time.Hour-time.Minute))
	if st := r.client.Stats(); st.Renewals != 1 {
		t.Errorf("stats %+v, want one renewal", st)
	}
}

package notifications_test

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// On socket_closing a new socket is connected before the old one closes:
// nothing published around the handover is lost, and no gap is reported.
func TestSocketClosingHandsOverWithoutGap(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 12, 20*time.Second)
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	ch := r.channelOf()
	r.advance(time.Minute)
	r.caughtUp(ch)
	if err := r.kit.Server.SocketClosing(ch); err != nil {
		t.Fatal(err)
	}
	r.waitStats("the handover", func(s notifications.Stats) bool { return s.Handovers == 1 })
	// The old socket was kicked by the new one, or closes a minute later:
	// either way everything published goes to a socket the client reads.
	for range 8 {
		r.advance(20 * time.Second)
	}
	r.caughtUp(ch)
	if n := r.missed(topics); n != 0 {
		t.Errorf("%d notifications missed across the handover", n)
	}
	if gaps := r.rec.gapList(); len(gaps) != 0 {
		t.Errorf("gaps %+v, want none", gaps)
	}
	if st := r.client.Stats(); st.SocketsConnected != 2 || st.ChannelsCreated != 1 || st.Replacements != 0 {
		t.Errorf("stats %+v, want a second socket on the same channel", st)
	}
}

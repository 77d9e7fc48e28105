package notifications_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// replaced waits for a second channel, connected, and returns its id.
func (r *rig) replaced(old string, topics int) string {
	r.t.Helper()
	r.waitStats("a new channel and socket", func(s notifications.Stats) bool {
		return s.ChannelsCreated == 2 && s.Replacements == 1 && s.SocketsConnected == 2
	})
	for id, subs := range r.channels() {
		if id != old && len(subs) == topics {
			return id
		}
	}
	r.t.Fatalf("no channel but %s holds the topics", old)
	return ""
}

// stallNextChannel makes the next POST of a channel wait a minute (a
// 429); stalled then moves the clock by that minute once the client
// waits: what is published meanwhile reaches no socket of the client.
func (r *rig) stallNextChannel() { r.stallNext("/api/v2/notifications/channels") }

// stallNext is stallNextChannel for the next request whose path starts
// with prefix.
func (r *rig) stallNext(prefix string) {
	r.t.Helper()
	before := len(r.attemptList())
	r.kit.Server.Throttle(prefix, 1, time.Minute)
	r.stalled = func() {
		r.waitFor("the client to wait out the 429", func() bool {
			as := r.attemptList()
			return len(as) > before && as[len(as)-1].Status == http.StatusTooManyRequests
		})
		r.advance(time.Minute)
	}
}

// On no_longer_subscribed the channel is replaced; what was published
// between the message and the new socket is reported as a gap.
func TestNoLongerSubscribedReplacesTheChannel(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 20, 10*time.Second)
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	old := r.channelOf()
	r.advance(time.Minute)
	r.caughtUp(old)
	r.stallNextChannel()
	if err := r.kit.Server.NoLongerSubscribed(old); err != nil {
		t.Fatal(err)
	}
	r.stalled()
	id := r.replaced(old, len(topics))
	r.advance(time.Minute)
	r.caughtUp(id)
	r.judgeGaps(topics, "no_longer_subscribed")
}

// A duplicate_id system message replaces the channel too.
func TestDuplicateIDReplacesTheChannel(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 20, 10*time.Second)
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	old := r.channelOf()
	r.advance(time.Minute)
	r.caughtUp(old)
	r.stallNextChannel()
	frame := []byte(`{"topicName":"v2.system.duplicate_id","version":"2","eventBody":{"channelId":"` + old +
		`","systemTopicType":"duplicate_id","reason":"another connection uses this channel id"},"metadata":{"CorrelationId":"x"}}`)
	if !r.kit.Relay.Inject(r.ctx, old, frame) {
		t.Fatal("no socket to inject into")
	}
	r.stalled()
	id := r.replaced(old, len(topics))
	r.advance(time.Minute)
	r.caughtUp(id)
	r.judgeGaps(topics, "duplicate_id")
}

// A socket that ends on a channel that is gone: HEAD answers 404, and the
// channel is replaced without dialing the dead one.
func TestHead404ReplacesTheChannel(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 20, 10*time.Second)
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	old := r.channelOf()
	r.advance(time.Minute)
	r.caughtUp(old)
	// The channel dies without the client hearing of it (its socket is
	// frozen first), and the socket is then dropped: the gap starts at the
	// drop's last frame.
	if r.kit.Relay.Freeze(old) != 1 {
		t.Fatal("no socket to freeze")
	}
	if err := r.kit.Server.NoLongerSubscribed(old); err != nil {
		t.Fatal(err)
	}
	r.advance(30 * time.Second) // published to a dead channel: lost
	r.stallNextChannel()
	if r.kit.Relay.Drop(old) != 1 {
		t.Fatal("no socket to drop")
	}
	r.stalled()
	id := r.replaced(old, len(topics))
	hs := 0
	for _, h := range r.kit.Relay.HandshakePaths() {
		if h == "/channels/"+old {
			hs++
		}
	}
	if hs != 1 {
		t.Errorf("%d handshakes to the dead channel, want only the first: HEAD should have said 404", hs)
	}
	r.advance(time.Minute)
	r.caughtUp(id)
	r.judgeGaps(topics, "socket ended")
	if st := r.client.Stats(); st.Replacements != 1 {
		t.Errorf("stats %+v, want one replacement", st)
	}
}

// A socket refused with 401 means the channel expired: it is replaced.
func TestSocket401ReplacesTheChannel(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	old := r.channelOf()
	r.kit.Relay.Refuse(http.StatusUnauthorized, 1)
	if err := r.kit.Server.DropSocket(old, websocket.StatusGoingAway); err != nil {
		t.Fatal(err)
	}
	r.replaced(old, len(topics))
	r.waitFor("the gap from the socket's end", func() bool {
		g := r.rec.gapList()
		return len(g) == 1 && strings.Contains(g[0].Reason, "socket ended") && len(g[0].Topics) == len(topics)
	})
}

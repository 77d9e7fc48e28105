package notifications_test

import (
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/socket"
)

// A socket gone silent (half-open: the relay forwards nothing, the
// connection stays up) is pinged, then replaced by a new socket on the
// same channel; what it swallowed is reported as a gap.
func TestSilentSocketIsReplaced(t *testing.T) {
	r := newRig(t, config{opts: notifications.Options{Socket: socket.Options{QuietAfter: 45 * time.Second, PongTimeout: 15 * time.Second}}})
	topics := r.queueTopics()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 30, 5*time.Second)
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	ch := r.channelOf()
	r.advance(30 * time.Second)
	r.caughtUp(ch)
	if r.kit.Relay.Freeze(ch) != 1 {
		t.Fatal("no socket to freeze")
	}
	// The watchdog's periods run from the connect: at 45 s it saw the
	// heartbeat; at 90 s nothing, so it pings; at 105 s the ping is
	// unanswered.
	r.advance(15 * time.Second)
	r.waitStats("the first check", func(s notifications.Stats) bool { return s.Sockets.Checks == 1 })
	r.advance(45 * time.Second)
	r.waitStats("the ping", func(s notifications.Stats) bool { return s.Sockets.Checks == 2 && s.Sockets.Pings == 1 })
	r.advance(15 * time.Second)
	r.waitStats("the silent socket replaced", func(s notifications.Stats) bool { return s.Silent == 1 && s.SocketsConnected == 2 })
	r.connected(len(topics))
	if id := r.channelOf(); id != ch {
		t.Errorf("channel %s, want the same %s: a silent socket needs a new socket, not a new channel", id, ch)
	}
	mark := r.kit.Clock.Now()
	r.advance(time.Minute)
	r.caughtUpFrom(mark, ch)
	r.judgeGaps(topics, "socket silent")
}

// A socket the server closes is reconnected to the same channel (HEAD
// says it lives); the interval without a socket is a gap.
func TestDroppedSocketReconnects(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 30, 5*time.Second)
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	ch := r.channelOf()
	r.advance(30 * time.Second)
	r.caughtUp(ch)
	// The reconnect's HEAD waits out a 429 while the clock moves: what is
	// published then reaches no socket.
	r.stallNext("/api/v2/notifications/channels/" + ch)
	// The new socket reads a notification the moment it connects: it must
	// come after the gap that socket ends.
	r.kit.Relay.Greet([]byte(`{"topicName":"` + topics[0] + `","version":"2","eventBody":{"id":"greeting"},"metadata":{"CorrelationId":"g"}}`))
	if err := r.kit.Server.DropSocket(ch, websocket.StatusGoingAway); err != nil {
		t.Fatal(err)
	}
	r.stalled()
	r.waitStats("the reconnect", func(s notifications.Stats) bool { return s.SocketsConnected == 2 })
	r.waitFor("the greeting", func() bool { return r.rec.pairs()[topics[0]+"\x00"+`{"id":"greeting"}`] })
	r.connected(len(topics))
	if st := r.client.Stats(); st.ChannelsCreated != 1 || st.Replacements != 0 {
		t.Errorf("stats %+v: want the same channel", st)
	}
	r.advance(time.Minute)
	r.caughtUp(ch)
	r.judgeGaps(topics, "socket ended")
}

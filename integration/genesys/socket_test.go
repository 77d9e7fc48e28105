package genesys

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// conversationTopics is the combined topic of every detail event type the
// generator publishes for conversation id.
func conversationTopics(id string) string {
	return "v2.detail.events.conversation." + id + "?customer.start&customer.end&acd.start&acd.end&user.start&user.end&acw"
}

// published returns the ledger's notifications that were queued for channel.
func (f *fixture) publishedTo(channel string) []Published {
	var out []Published
	for _, p := range f.s.Published() {
		if slices.Contains(p.Delivered, channel) {
			out = append(out, p)
		}
	}
	return out
}

// "Heartbeat {"topicName":"channel.metadata","eventBody":{"message":
// "WebSocket Heartbeat"}} about every 30 s; a client {"message":"ping"}
// gets a pong" (upstream-api.md 1: the pong is {"topicName":
// "channel.metadata","eventBody":{"message":"pong"}}).
func TestHeartbeatEveryThirtySecondsAndPong(t *testing.T) {
	f := newFixture(t, Options{})
	_, uri := f.newChannel()
	c := dial(t, uri)
	for _, step := range []struct {
		advance    time.Duration
		heartbeats int
	}{{0, 0}, {29 * time.Second, 0}, {time.Second, 1}, {30 * time.Second, 1}, {10 * time.Second, 0}, {time.Hour, 1}} {
		f.advance(step.advance)
		got := c.sync() // sync itself checks the pong byte for byte
		if len(got) != step.heartbeats {
			t.Fatalf("after +%v: %d frames, want %d heartbeats", step.advance, len(got), step.heartbeats)
		}
		for _, fr := range got {
			if string(fr.raw) != heartbeatFrame {
				t.Fatalf("heartbeat %s, want %s", fr.raw, heartbeatFrame)
			}
		}
	}
}

// "Envelope {topicName, version, eventBody, metadata{CorrelationId}}.
// Detail bodies: eventTime epoch ms"; v2.routing.queues.{id}.conversations
// carries "a full Conversation snapshot on every change".
func TestSubscribedSocketGetsEventsAndSnapshots(t *testing.T) {
	f := newFixture(t, Options{AbandonRate: -1})
	id, uri := f.newChannel()
	conv := f.s.AddConversations(t0().Add(time.Minute), 1, 0)[0]
	f.subscribe(id, conversationTopics(conv.ID), QueueConversationsTopic(conv.QueueID))
	c := dial(t, uri)
	f.advance(conv.End.Sub(t0()))
	var got []frame
	for _, fr := range c.sync() {
		if fr.TopicName != TopicHeartbeat {
			got = append(got, fr)
		}
	}
	want := f.publishedTo(id)
	if len(got) != len(want) || len(want) != 7+6 {
		t.Fatalf("%d frames, ledger %d, want 7 detail events and 6 snapshots", len(got), len(want))
	}
	for i, fr := range got {
		if !bytes.Equal(fr.raw, want[i].Frame) || fr.TopicName != want[i].Topic || fr.Version != "2" ||
			fr.Metadata == nil || fr.Metadata.CorrelationID == "" || !bytes.Equal(fr.EventBody, want[i].EventBody) {
			t.Fatalf("frame %d %s, ledger %s", i, fr.raw, want[i].Frame)
		}
		if strings.HasPrefix(fr.TopicName, "v2.detail.events.conversation.") {
			var b struct{ EventTime int64 }
			if err := json.Unmarshal(fr.EventBody, &b); err != nil || b.EventTime != want[i].At.UnixMilli() {
				t.Fatalf("eventTime %d, want epoch ms %d", b.EventTime, want[i].At.UnixMilli())
			}
		}
	}
}

// "Nothing is queued while a socket is down: missed events must be fetched
// again from the analytics APIs".
func TestNothingBufferedWhileNoSocket(t *testing.T) {
	f := newFixture(t, Options{AbandonRate: -1})
	id, uri := f.newChannel()
	conv := f.s.AddConversations(t0().Add(time.Minute), 1, 0)[0]
	f.subscribe(id, conversationTopics(conv.ID))
	f.advance(2 * time.Minute) // customer.start, acd.start and maybe more, with no socket
	missed := 0
	for _, p := range f.s.Published() {
		if slices.Contains(p.Missed, id) {
			missed++
		}
	}
	if missed == 0 {
		t.Fatal("nothing was published while disconnected; the test proves nothing")
	}
	connected := f.clock.Now()
	c := dial(t, uri)
	f.advance(conv.End.Sub(connected))
	var got []frame
	for _, fr := range c.sync() {
		if fr.TopicName != TopicHeartbeat {
			got = append(got, fr)
		}
	}
	if len(got)+missed != len(conv.DetailEvents) {
		t.Fatalf("got %d after connecting, %d missed before, want %d in all", len(got), missed, len(conv.DetailEvents))
	}
	for i, fr := range got {
		if want := conv.DetailEvents[missed+i]; fr.TopicName != want.Topic || !bytes.Equal(fr.EventBody, want.EventBody) {
			t.Fatalf("frame %d is %s, want %s: the missed events must never come", i, fr.TopicName, want.Topic)
		}
	}
}

// "one socket per channel (a second kicks the first)"; socket_closing:
// "connect the new socket before dropping the old".
func TestSecondSocketKicksTheFirst(t *testing.T) {
	f := newFixture(t, Options{})
	id, uri := f.newChannel()
	first := dial(t, uri)
	first.sync()
	if err := f.s.SocketClosing(id); err != nil {
		t.Fatal(err)
	}
	if fr := first.next(); fr.TopicName != TopicSocketClosing {
		t.Fatalf("got %s, want socket_closing", fr.raw)
	}
	second := dial(t, uri)
	if code := first.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("kicked socket closed with %d, want 1001", code)
	}
	f.advance(time.Minute) // the first socket's planned close is moot now
	if got := second.sync(); len(got) != 1 || string(got[0].raw) != heartbeatFrame {
		t.Fatalf("second socket got %v, want a heartbeat (two due in one advance make one)", topics(got))
	}
}

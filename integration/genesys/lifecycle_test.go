package genesys

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// "v2.system.socket_closing: about one minute before a close"
// (SystemMessageSystemMessage body); upstream-api.md 1: "then the server
// closes the socket (close code 1001) up to 60 s later".
func TestSocketClosingThenCloseAMinuteLater(t *testing.T) {
	f := newFixture(t, Options{})
	id, uri := f.newChannel()
	c := dial(t, uri)
	c.sync()
	if err := f.s.SocketClosing(id); err != nil {
		t.Fatal(err)
	}
	fr := c.next()
	var body systemMessage
	if err := json.Unmarshal(fr.EventBody, &body); err != nil || fr.TopicName != TopicSocketClosing ||
		body.ChannelID != id || body.SystemTopicType != "socket_closing" || body.OrganizationID != f.s.OrgID() ||
		body.OauthClientID != DefaultClientID || body.CorrelationID != fr.Metadata.CorrelationID {
		t.Fatalf("socket_closing %s", fr.raw)
	}
	f.advance(59 * time.Second)
	c.sync() // still open
	f.advance(time.Second)
	if code := c.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("closed with %d, want 1001", code)
	}
	ok(t, f.api(http.MethodHead, channelsPath+"/"+id, nil), http.StatusOK) // the channel stays
	dial(t, uri).sync()
}

// "Genesys's own client re-PUTs the full list when the server pushes
// streaming-subscriptions-expiring ({expiring: 60})"; "24 h life".
func TestSubscriptionsExpiringThenChannelExpiry(t *testing.T) {
	for _, resubscribe := range []bool{false, true} {
		t.Run(map[bool]string{false: "lapses", true: "resubscribed"}[resubscribe], func(t *testing.T) {
			f := newFixture(t, Options{TokenLifetime: 72 * time.Hour})
			id, uri := f.newChannel()
			topic := QueueConversationsTopic(f.s.Queues()[0].ID)
			f.subscribe(id, topic)
			c := dial(t, uri)
			f.advance(24*time.Hour - time.Minute - time.Second)
			if got := c.sync(); slices.Contains(topics(got), TopicSubscriptionsExpiring) {
				t.Fatal("warned more than a minute early")
			}
			f.advance(time.Second)
			got := slices.DeleteFunc(c.sync(), func(fr frame) bool { return fr.TopicName == TopicHeartbeat })
			if len(got) != 1 || got[0].TopicName != TopicSubscriptionsExpiring || string(got[0].EventBody) != `{"expiring":60}` {
				t.Fatalf("a minute before expiry got %v", topics(got))
			}
			if resubscribe {
				f.subscribe(id, topic)
			}
			f.advance(time.Minute)
			if resubscribe {
				c.sync()
				ok(t, f.api(http.MethodHead, channelsPath+"/"+id, nil), http.StatusOK)
				return
			}
			if code := c.closed(); code != websocket.StatusGoingAway {
				t.Fatalf("expired channel's socket closed with %d, want 1001", code)
			}
			if st := dialStatus(t, uri); st != http.StatusUnauthorized {
				t.Fatalf("reconnect to an expired channel: %d, want 401", st)
			}
		})
	}
}

// A jump of the clock past a channel's expiry still delivers, in order,
// what was due before it, then closes.
func TestClockJumpKeepsTimeOrder(t *testing.T) {
	f := newFixture(t, Options{AbandonRate: -1, TokenLifetime: 72 * time.Hour})
	id, uri := f.newChannel()
	expires := t0().Add(24 * time.Hour)
	conv := f.s.AddConversations(expires.Add(-2*time.Minute), 1, 0)[0]
	f.subscribe(id, conversationTopics(conv.ID))
	c := dial(t, uri)
	f.clock.Advance(25 * time.Hour)
	c.closed()
	var got []frame
	for len(c.frames) > 0 {
		got = append(got, <-c.frames)
	}
	var events []string
	for _, fr := range got {
		if strings.HasPrefix(fr.TopicName, "v2.detail") {
			events = append(events, fr.TopicName)
		}
	}
	var due []string
	for _, p := range conv.DetailEvents {
		var b struct{ EventTime int64 }
		_ = json.Unmarshal(p.EventBody, &b)
		if b.EventTime < expires.UnixMilli() {
			due = append(due, p.Topic)
		}
	}
	if len(due) == 0 || len(due) == len(conv.DetailEvents) || !slices.Equal(events, due) {
		t.Fatalf("got %v, want the %d events due before expiry (of %d)", events, len(due), len(conv.DetailEvents))
	}
	if ts := topics(got); !slices.Contains(ts, TopicSubscriptionsExpiring) {
		t.Fatalf("frames %v: no warning before the expiry", ts)
	}
	var ce websocket.CloseError
	if !errorsAs(c.err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Fatalf("socket ended with %v, want 1001", c.err)
	}
}

// "no_longer_subscribed and duplicate_id mean a new channel is needed".
func TestNoLongerSubscribed(t *testing.T) {
	f := newFixture(t, Options{})
	id, uri := f.newChannel()
	conv := f.s.AddConversations(t0().Add(time.Minute), 1, 0)[0]
	f.subscribe(id, conversationTopics(conv.ID))
	c := dial(t, uri)
	if err := f.s.NoLongerSubscribed(id); err != nil {
		t.Fatal(err)
	}
	fr := c.next()
	var body systemMessage
	if err := json.Unmarshal(fr.EventBody, &body); err != nil || fr.TopicName != TopicNoLongerSubscribedPrefix+id ||
		body.SystemTopicType != "no_longer_subscribed" || body.ChannelID != id {
		t.Fatalf("got %s", fr.raw)
	}
	ok(t, f.api(http.MethodHead, channelsPath+"/"+id, nil), http.StatusNotFound)
	f.advance(conv.End.Sub(t0()))
	for _, fr := range c.sync() {
		if fr.TopicName != TopicHeartbeat {
			t.Fatalf("a dead channel's socket got %s", fr.raw)
		}
	}
	if st := dialStatus(t, uri); st != http.StatusUnauthorized {
		t.Fatalf("socket to a dead channel: %d, want 401", st)
	}
}

// "idle sockets are closed with 1001"; a drop without a close frame is a
// half-dead link. The channel outlives both.
func TestDropSocket(t *testing.T) {
	f := newFixture(t, Options{})
	id, uri := f.newChannel()
	for _, code := range []websocket.StatusCode{websocket.StatusGoingAway, 0} {
		c := dial(t, uri)
		c.sync()
		if err := f.s.DropSocket(id, code); err != nil {
			t.Fatal(err)
		}
		want := code
		if code == 0 {
			want = -1
		}
		if got := c.closed(); got != want {
			t.Fatalf("DropSocket(%d): closed with %d, want %d", code, got, want)
		}
	}
	ok(t, f.api(http.MethodHead, channelsPath+"/"+id, nil), http.StatusOK)
	if err := f.s.DropSocket(id, 0); err == nil || !strings.Contains(err.Error(), "no socket") {
		t.Fatalf("DropSocket without a socket: %v", err)
	}
}

// A socket whose queue is full is marked for a 1013 close, and refuses more.
func TestSocketQueueOverflow(t *testing.T) {
	sk := newSocket(t.Context(), &channel{}, t0(), 1)
	if !sk.enqueue(outFrame{data: []byte("a")}) || sk.enqueue(outFrame{data: []byte("b")}) {
		t.Fatal("a queue of one took two frames")
	}
	select {
	case <-sk.overflow:
	default:
		t.Fatal("overflow not signalled")
	}
}

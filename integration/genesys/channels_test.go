package genesys

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// genesys-notifications.md, Channel lifecycle: "POST
// /api/v2/notifications/channels → {id, connectUri, expires}; HEAD
// /channels/{id} 200/404"; "24 h life".
func TestCreateListHeadChannel(t *testing.T) {
	f := newFixture(t, Options{})
	var ch channelBody
	ok(t, f.api(http.MethodPost, channelsPath, nil), http.StatusOK).decode(t, &ch)
	if !strings.HasPrefix(ch.ID, "streaming-0-") || ch.ConnectURI != f.s.StreamingURL()+"/channels/"+ch.ID ||
		ch.Expires != "2026-12-01T10:00:00.000Z" {
		t.Fatalf("channel %+v", ch)
	}
	ok(t, f.api(http.MethodHead, channelsPath+"/"+ch.ID, nil), http.StatusOK)
	ok(t, f.api(http.MethodHead, channelsPath+"/streaming-0-nosuchchannel", nil), http.StatusNotFound)

	// GET lists the channels of the caller's token; includechannels=oauthclient
	// those of every token of its client.
	other := f.login(DefaultClientID, DefaultClientSecret)
	ok(t, f.call(other, http.MethodPost, channelsPath, nil), http.StatusOK)
	for _, tc := range []struct {
		scope string
		want  int
	}{{"", 1}, {"token", 1}, {"oauthclient", 2}} {
		var l struct{ Entities []channelBody }
		ok(t, f.api(http.MethodGet, channelsPath+query("includechannels", tc.scope), nil), http.StatusOK).decode(t, &l)
		if len(l.Entities) != tc.want || l.Entities[0] != ch {
			t.Errorf("includechannels=%q: %+v, want %d starting with %+v", tc.scope, l.Entities, tc.want, ch)
		}
	}
	// another client does not see it
	f2 := newFixture(t, Options{})
	ok(t, f2.api(http.MethodHead, channelsPath+"/"+ch.ID, nil), http.StatusNotFound)
}

// "Limits: 20 channels per user/app (a 21st evicts the oldest, unconnected
// first)".
func TestTwentyFirstChannelEvictsTheOldestUnconnected(t *testing.T) {
	f := newFixture(t, Options{})
	ids := make([]string, 20)
	uris := make([]string, 20)
	for i := range ids {
		ids[i], uris[i] = f.newChannel()
	}
	first := dial(t, uris[0]) // the oldest is connected: the second goes
	first.sync()
	f.newChannel()
	ok(t, f.api(http.MethodHead, channelsPath+"/"+ids[0], nil), http.StatusOK)
	ok(t, f.api(http.MethodHead, channelsPath+"/"+ids[1], nil), http.StatusNotFound)
	if st := dialStatus(t, uris[1]); st != http.StatusUnauthorized {
		t.Fatalf("socket to the evicted channel: %d, want 401", st)
	}

	// all connected: the oldest goes, and its socket is closed
	for i := 2; i < 20; i++ {
		dial(t, uris[i]).sync()
	}
	var l struct{ Entities []channelBody }
	ok(t, f.api(http.MethodGet, channelsPath, nil), http.StatusOK).decode(t, &l)
	last := l.Entities[len(l.Entities)-1]
	dial(t, last.ConnectURI).sync()
	f.newChannel()
	if code := first.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("evicted channel's socket closed with %d, want 1001", code)
	}
	ok(t, f.api(http.MethodHead, channelsPath+"/"+ids[0], nil), http.StatusNotFound)
	ok(t, f.api(http.MethodGet, channelsPath, nil), http.StatusOK).decode(t, &l)
	if len(l.Entities) != 20 {
		t.Fatalf("%d channels, want 20", len(l.Entities))
	}
}

// "24 h life; to maintain a channel for longer than 24 hours, resubscribe";
// "an auth failure after an earlier successful connect means the channel
// expired".
func TestChannelExpiresUnlessResubscribed(t *testing.T) {
	f := newFixture(t, Options{TokenLifetime: 48 * time.Hour})
	kept, keptURI := f.newChannel()
	lapsed, lapsedURI := f.newChannel()
	f.advance(23 * time.Hour)
	f.subscribe(kept, QueueConversationsTopic(f.s.Queues()[0].ID))
	f.advance(time.Hour)
	ok(t, f.api(http.MethodHead, channelsPath+"/"+lapsed, nil), http.StatusNotFound)
	ok(t, f.api(http.MethodGet, channelsPath+"/"+lapsed+"/subscriptions", nil), http.StatusNotFound)
	if st := dialStatus(t, lapsedURI); st != http.StatusUnauthorized {
		t.Fatalf("socket to an expired channel: %d, want 401", st)
	}
	ok(t, f.api(http.MethodHead, channelsPath+"/"+kept, nil), http.StatusOK)
	var l struct{ Entities []channelBody }
	ok(t, f.api(http.MethodGet, channelsPath, nil), http.StatusOK).decode(t, &l)
	if len(l.Entities) != 1 || l.Entities[0].ID != kept || l.Entities[0].Expires != "2026-12-02T09:00:00.000Z" {
		t.Fatalf("channels after a day: %+v, want only the resubscribed one, expiring 24 h after its PUT", l.Entities)
	}
	dial(t, keptURI).sync()
}

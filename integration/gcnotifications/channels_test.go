package gcnotifications_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// channelLifecycle: channels live 15 s (the platform's day, compressed)
// with streaming-subscriptions-expiring 4 s before the end. While calls
// are live, the bridge's channel really expires (its renewal is throttled
// past the channel's life), is killed (no_longer_subscribed), and is
// evicted (another application of the same OAuth client fills its 20
// channels, then opens one more); each time the bridge moves to a new
// channel, and calls come and go before its socket can connect (a new
// channel left without a socket that long expires too, and is replaced
// on the 401 its socket gets). Once the calls are over, nothing but the
// platform's warnings prompts a renewal: the last channel outlives two
// lives. Every conversation is covered, no dedup key twice.
func channelLifecycle(t *testing.T) {
	const lifetime = 15 * time.Second
	r := newRig(t, setup{standin: genesys.Options{Seed: 41, CallPace: 0.05, ChannelLifetime: lifetime, ExpiringWarning: 4 * time.Second}})
	ru := r.start()
	r.g.AddConversations(time.Now(), 30, 500*time.Millisecond)
	first := r.connected(ru)

	// Each replacement is an outage the test ends (the bridge's new channel
	// cannot connect its socket) once calls have come and gone unseen.

	// Expiry: the next subscription call on the channel is answered 429,
	// retry after more than a channel's life.
	onFirst := "/api/v2/notifications/channels/" + first
	expiry := r.outage(ru, func() {
		r.g.Throttle(onFirst, 1, lifetime+time.Second)
		r.waitFor(ru, 2*lifetime, "the channel's expiry", func() bool { return !slices.Contains(r.liveChannels(), first) })
	}, nil)
	second := r.connected(ru, first)
	if n := r.net.count("", onFirst, http.StatusTooManyRequests); n != 1 {
		t.Errorf("%d calls on channel %s answered 429, want the one throttled", n, first)
	}
	if n := r.net.count("", onFirst, http.StatusNotFound); n == 0 {
		t.Errorf("no call on channel %s answered 404: it did not expire under the bridge", first)
	}

	killed := r.outage(ru, func() {
		if err := r.g.NoLongerSubscribed(second); err != nil {
			t.Fatal(err)
		}
	}, nil)
	third := r.connected(ru, first, second)

	// Eviction: the client's other application holds 19 connected
	// channels; its 21st evicts the oldest, the bridge's.
	evicted := r.outage(ru, func() {
		r.occupy(notifications.MaxChannelsPerClient - 1)
		r.api(http.MethodPost, "/api/v2/notifications/channels", nil)
		if slices.Contains(r.liveChannels(), third) {
			t.Fatalf("channel %s lives after a 21st channel was opened", third)
		}
	}, nil)
	fourth := r.connected(ru, first, second, third)

	// Renewal: once the calls are over, the topics change no more (those
	// of calls whose end fell in a gap stay until discovery's StaleAfter,
	// hours later): only the platform's warnings renew the channel.
	r.waitFor(ru, 2*time.Minute, "every call to end", func() bool {
		s := r.g.Summary()
		return s.Ended == s.Conversations
	})
	// The channel of now: the fourth, or its successor if the fourth
	// expired before its socket could connect (its warning fell while the
	// door was shut).
	last := r.connected(ru)
	quiet, renewals, sockets := time.Now(), r.net.renewals(last), r.handshakes(last)
	r.waitFor(ru, 2*lifetime+time.Minute, "two channel lives", func() bool {
		if now := r.bridgeChannel(); now != last || r.handshakes(last) != sockets {
			t.Fatalf("the bridge's channel %s was replaced or reconnected (now %q): not renewed on the platform's warning", last, now)
		}
		return time.Since(quiet) > 2*lifetime+5*time.Second
	})
	renewals = r.net.renewals(last) - renewals
	if renewals < 2 {
		t.Errorf("%d renewals of channel %s in two lives, want one in each", renewals, last)
	}

	rep := r.waitCovered(ru)
	unseen := r.mustUnseen(r.view(), map[string][]string{"expired": expiry, "no_longer_subscribed": killed, "evicted": evicted})
	r.logReport(ru, rep, fmt.Sprintf("channels %s (expired), %s (no_longer_subscribed), %s (evicted), then %s; %s renewed %d times in two lives; %s",
		first, second, third, fourth, last, renewals, unseen))
}

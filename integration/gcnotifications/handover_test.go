package gcnotifications_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// socketClosingHandover: v2.system.socket_closing while calls are
// live, twice. The bridge connects a new socket to its channel before the
// old one closes; the new socket begins with a copy of an event the old
// one read (a notification read on both sockets of a handover), which
// must be written once. The handover is seamless: no socket ends under
// the bridge. Then a third handover fails (the new socket cannot connect
// before the old one closes) while calls come and go: its gap is
// back-filled.
func socketClosingHandover(t *testing.T) {
	r := newRig(t, setup{standin: genesys.Options{Seed: 31, CallPace: 0.05}})
	ru := r.start()
	r.g.AddConversations(time.Now(), 30, 500*time.Millisecond)
	ch := r.connected(ru)
	const dropped = "analytics_bridge_duplicates_dropped_total"
	for round := 1; round <= 2; round++ {
		var copied []byte
		r.waitFor(ru, time.Minute, "an event the bridge's socket read", func() bool {
			for _, p := range slices.Backward(r.g.Published()) {
				if p.At.Before(time.Now().Add(-2*time.Second)) && slices.Contains(p.Delivered, ch) {
					copied = p.Frame
					return true
				}
			}
			return false
		})
		drops, sockets := ru.metric(t, dropped), r.handshakes(ch)
		r.relay.Greet(copied)
		if err := r.g.SocketClosing(ch); err != nil {
			t.Fatal(err)
		}
		r.waitFor(ru, time.Minute, fmt.Sprintf("handover %d: the new socket", round), func() bool { return r.handshakes(ch) > sockets })
		r.waitFor(ru, time.Minute, fmt.Sprintf("handover %d: the copy read on the new socket dropped", round), func() bool {
			return ru.metric(t, dropped) > drops
		})
		if now := r.connected(ru); now != ch {
			t.Fatalf("handover %d: the bridge moved to channel %s from %s, which lives", round, now, ch)
		}
	}
	if n := r.logs.count("socket ended; reconnecting"); n > 0 {
		t.Errorf("a socket ended under the bridge %d times: a handover was not seamless", n)
	}

	// A handover that fails: the new socket cannot connect before the old
	// one closes, and calls come and go after it did.
	late := r.outage(ru, func() {
		if err := r.g.SocketClosing(ch); err != nil {
			t.Fatal(err)
		}
		r.waitFor(ru, time.Minute, "the old socket to close", func() bool { return r.relay.Sockets(ch) == 0 })
	}, nil)
	if now := r.connected(ru); now != ch {
		t.Fatalf("after a late handover the bridge moved to channel %s from %s, which lives", now, ch)
	}

	rep := r.waitCovered(ru)
	unseen := r.mustUnseen(r.view(), map[string][]string{"late handover": late})
	r.logReport(ru, rep, fmt.Sprintf("%d sockets on the one channel, %v copies dropped; %s", r.handshakes(ch), ru.metric(t, dropped), unseen))
}

package gcnotifications_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// socketFaults: while calls are live, the bridge's socket is closed
// with an abnormal code (1011), goes half-open (the relay passes nothing,
// the connection stays open: only the watchdog can tell), and is reset
// without a close frame, from either side. The first two outages last
// until calls have come and gone unseen, so that only the back-fill of
// their gaps can cover them. A conversation shows in the analytics API up
// to 30 s after it starts. Every conversation is covered, no dedup key
// twice, with KAFKA_TRANSACTIONS=transactions.
func socketFaults(t *testing.T, transactions string, seed uint64) {
	r := newRig(t, setup{standin: genesys.Options{Seed: seed, CallPace: 0.05, IndexLag: 30 * time.Second},
		env: func(e *config.Env) { e.KafkaTransactions = transactions }})
	ru := r.start()
	r.g.AddConversations(time.Now(), 40, 750*time.Millisecond)
	ch := r.connected(ru)
	sameChannel := func(what string) {
		t.Helper()
		if now := r.connected(ru); now != ch {
			t.Fatalf("after %s the bridge connected to channel %s, not its channel %s, which lives", what, now, ch)
		}
	}

	closed := r.outage(ru, func() {
		if err := r.g.DropSocket(ch, websocket.StatusInternalError); err != nil {
			t.Fatal(err)
		}
	}, nil)
	sameChannel("an abnormal close")

	halfOpen := r.outage(ru, func() {
		if n := r.relay.Freeze(ch); n != 1 {
			t.Fatalf("froze %d sockets of channel %s, want 1", n, ch)
		}
	}, func() bool { return r.relay.Sockets(ch) == 0 }) // the watchdog gave up on it
	sameChannel("a half-open socket")

	resets := []struct {
		name  string
		reset func()
	}{
		{"the stand-in", func() {
			if err := r.g.DropSocket(ch, 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"the relay", func() {
			if n := r.relay.Drop(ch); n != 1 {
				t.Fatalf("dropped %d sockets of channel %s, want 1", n, ch)
			}
		}},
	}
	for _, reset := range resets {
		before := r.handshakes(ch)
		reset.reset()
		r.waitFor(ru, time.Minute, "a new socket after a reset by "+reset.name, func() bool {
			return r.handshakes(ch) > before && r.relay.Sockets(ch) == 1
		})
	}
	sameChannel("resets")

	rep := r.waitCovered(ru)
	unseen := r.mustUnseen(r.view(), map[string][]string{"closed 1011": closed, "half-open": halfOpen})
	r.logReport(ru, rep, fmt.Sprintf("%d sockets on the one channel, %d dials refused during the outages; %s",
		r.handshakes(ch), r.net.refused.Load(), unseen))
}

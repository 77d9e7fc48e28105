package notifications_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// Topics are spread over channels of at most TopicsPerChannel, at most
// MaxChannels of them; what does not fit waits, visible in the budget,
// and is subscribed once room is made, with a gap from when it was wanted.
func TestTopicsSpreadOverChannels(t *testing.T) {
	r := newRig(t, config{standin: genesys.Options{TopicsPerChannel: 2},
		opts: notifications.Options{TopicsPerChannel: 2, MaxChannels: 2}})
	topics := r.queueTopics() // 5
	wanted := r.kit.Clock.Now()
	if err := r.client.Subscribe(topics, wanted); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(4)
	b := r.client.Status().Budget
	if b.Wanted != 5 || b.Placed != 4 || b.Unplaced != 1 || b.Channels != 2 || b.Connected != 2 || b.Capacity() != 4 {
		t.Errorf("budget %+v, want 5 wanted, 4 placed on 2 channels, 1 unplaced", b)
	}
	chs := r.channels()
	var held []string
	for id, subs := range chs {
		if len(subs) != 2 {
			t.Errorf("channel %s holds %v, want 2 topics", id, subs)
		}
		held = append(held, subs...)
	}
	var waiting string
	for _, tp := range topics {
		if !slices.Contains(held, tp) {
			waiting = tp
		}
	}
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 20, 5*time.Second)
	r.advance(time.Minute)
	// Room is made: the waiting topic is subscribed, with its gap.
	r.client.Unsubscribe([]string{held[0]})
	r.waitStats("the waiting topic subscribed", func(s notifications.Stats) bool { return s.Subscriptions == 3 })
	r.waitFor("the budget", func() bool {
		b := r.client.Status().Budget
		return b.Unplaced == 0 && b.Subscribed == 4 && r.client.Status().Connected
	})
	placed := r.kit.Clock.Now()
	for range 4 {
		r.advance(30 * time.Second)
	}
	for id := range r.channels() {
		r.caughtUp(id)
	}
	var late *notifications.Gap
	for _, g := range r.rec.gapList() {
		if slices.Equal(g.Topics, []string{waiting}) {
			late = &g
		} else if !g.From.Equal(wanted) || !g.To.Equal(wanted.Add(time.Millisecond)) {
			// The placed topics were wanted and subscribed at the same
			// instant of the stopped clock: their gap is that millisecond.
			t.Errorf("gap %+v: only the late topic may have more than the millisecond it was wanted in", g)
		}
	}
	if late == nil || !late.From.Equal(wanted) || late.To.Before(placed) || late.To.After(placed.Add(time.Millisecond)) ||
		!strings.Contains(late.Reason, "later than wanted") {
		t.Fatalf("gap of the late topic %+v, want [%s, %s]", late, wanted, placed)
	}
	rest := slices.DeleteFunc(slices.Clone(topics), func(s string) bool { return s == held[0] })
	if n := len(r.uncovered(rest, wanted)); n != 0 {
		t.Errorf("%d notifications neither read nor in a gap", n)
	}
	if r.missed([]string{waiting}) == 0 {
		t.Error("nothing of the late topic was lost: the test proves nothing")
	}
}

// Topics the platform rejects are logged once each, naming the missing
// permission, dropped from the wanted set (never asked for again), and
// counted in the budget; the others are read.
func TestRejectedTopicsAreDropped(t *testing.T) {
	r := newRig(t, config{standin: genesys.Options{Clients: []genesys.Client{{ID: "c", Secret: "s",
		Permissions: []string{genesys.PermQueueView}}}}, clientID: "c", clientSecret: "s",
		opts: notifications.Options{RenewBefore: 10 * time.Second}})
	topics := r.queueTopics()
	detail := []string{"v2.detail.events.conversation.c-1.customer.start", "v2.detail.events.conversation.c-1.acd.start"}
	if err := r.client.Subscribe(append(slices.Clone(topics), detail...), time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	r.waitFor("the rejections counted", func() bool { return r.client.Status().Budget.Rejected == 2 })
	// The caller wants them again (discovery found them again): rejected
	// again, not logged again.
	if err := r.client.Subscribe(detail, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.waitStats("the second subscription", func(s notifications.Stats) bool { return s.Subscriptions == 2 })
	r.connected(len(topics))
	// A renewal PUTs the full list: without the rejected topics.
	r.advance(24*time.Hour - time.Minute)
	r.waitStats("the renewal", func(s notifications.Stats) bool { return s.Renewals == 1 })
	for _, d := range detail {
		if n := r.logCount("topic rejected", d, genesys.PermConversationDetailView); n != 1 {
			t.Errorf("%s: %d log lines naming it and %s, want 1\n%s", d, n, genesys.PermConversationDetailView, r.logs.String())
		}
	}
	b := r.client.Status().Budget
	if b.Wanted != len(topics) || b.Subscribed != len(topics) || b.Rejected != 2 {
		t.Errorf("budget %+v, want %d wanted and subscribed, 2 rejected", b, len(topics))
	}
	for _, subs := range r.channels() {
		if !slices.Equal(subs, sorted(topics)) {
			t.Errorf("subscribed %v, want the queue topics only", subs)
		}
	}
}

func sorted(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}

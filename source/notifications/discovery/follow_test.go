package discovery

import (
	"slices"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

var testDetailTypes = []string{"customer.start", "acd.start", "acd.end", "user.start", "user.end", "customer.end", "acw"}

// followConfig is a rig whose conversations are followed; the queue id is
// a placeholder (the tests hand Seen the stand-in's snapshots).
func followConfig(abandonRate float64, o Options) rigConfig {
	o.Templates = []string{"v2.routing.queues.{id}.conversations"}
	o.QueueIDs = []string{"q"}
	o.DetailTypes = testDetailTypes
	return rigConfig{standin: genesys.Options{AbandonRate: abandonRate}, opts: o}
}

// conversation adds one conversation, moves the clock to its end and
// returns it with its snapshots.
func (r *rig) conversation() (genesys.Conversation, []*notifications.Event) {
	r.t.Helper()
	c := r.kit.Server.AddConversations(r.kit.Clock.Now().Add(time.Second), 1, 0)[0]
	r.advanceTo(c.End)
	return c, r.snapshots(c.ID)
}

// subscribes are the Subscriber's subscribe calls of detail topics.
func (r *rig) detailCalls(id string) []call {
	return r.rec.callsOf(detailEventsPrefix + id + "." + testDetailTypes[0])
}

// A conversation's snapshots: the first subscribes its detail topics once,
// from its start; each is a Sighting; only the last shows it over (an
// answered call is over when the agent's after-call work is, an abandoned
// one when the customer hangs up in queue).
func TestSnapshotSequenceSubscribesOnceFromStart(t *testing.T) {
	for _, tc := range []struct {
		name        string
		abandonRate float64
		snapshots   int
	}{{"answered", -1, 6}, {"abandoned", 1, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, followConfig(tc.abandonRate, Options{}))
			c, evs := r.conversation()
			if c.Abandoned != (tc.abandonRate > 0) || len(evs) != tc.snapshots {
				t.Fatalf("the stand-in gave abandoned=%v with %d snapshots", c.Abandoned, len(evs))
			}
			for i, ev := range evs {
				s, ok := r.d.Seen(ev)
				want := Sighting{ConversationID: c.ID, Start: c.Start, New: i == 0, Followed: true, Ended: i == len(evs)-1}
				if !ok || s != want {
					t.Errorf("snapshot %d: %+v %v, want %+v", i, s, ok, want)
				}
			}
			calls := r.detailCalls(c.ID)
			if len(calls) != 1 || calls[0].unsubscribe || !calls[0].since.Equal(c.Start) {
				t.Fatalf("detail topic calls %+v, want one subscribe from the start %v", calls, c.Start)
			}
			for _, p := range c.DetailEvents {
				if !slices.Contains(calls[0].topics, p.Topic) {
					t.Errorf("detail event topic %s not subscribed", p.Topic)
				}
			}
			st := r.d.Stats()
			if st.Snapshots != uint64(len(evs)) || st.Followed != 1 || st.FollowedTotal != 1 || st.Tracked != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// An ended conversation's detail topics stay subscribed for Linger after
// its end was read, are unsubscribed then (by Run, on the clock), and a
// late snapshot of it does not follow it again.
func TestEndedConversationDroppedOnlyAfterLinger(t *testing.T) {
	const linger = 2 * time.Minute
	r := newRig(t, followConfig(-1, Options{Linger: linger}))
	r.run(time.Time{})
	c, evs := r.conversation()
	for _, ev := range evs {
		r.d.Seen(ev)
	}
	topics := r.d.detailTopics(c.ID)
	unsubscribed := func() bool {
		for _, cl := range r.detailCalls(c.ID) {
			if cl.unsubscribe {
				return true
			}
		}
		return false
	}

	// A millisecond short of Linger: a pass (here or in Run) drops nothing.
	r.advance(linger - time.Millisecond)
	r.d.expire(r.kit.Clock.Now(), time.Time{})
	if unsubscribed() || r.d.Stats().Followed != 1 {
		t.Fatalf("dropped before Linger passed: calls %+v", r.detailCalls(c.ID))
	}
	r.advance(time.Millisecond)
	r.waitFor("Run to drop the conversation", unsubscribed)
	calls := r.detailCalls(c.ID)
	if len(calls) != 2 || !slices.Equal(calls[1].topics, topics) {
		t.Errorf("calls %+v, want a subscribe and an unsubscribe of %v", calls, topics)
	}
	if st := r.d.Stats(); st.Dropped != 1 || st.Followed != 0 || st.Tracked != 0 || st.Stale != 0 {
		t.Errorf("stats %+v", st)
	}
	if _, ok := r.rec.wantedSet()[topics[0]]; ok {
		t.Errorf("%s still wanted", topics[0])
	}

	late := *evs[len(evs)-1]
	late.Received = r.kit.Clock.Now()
	s, ok := r.d.Seen(&late)
	if !ok || s.New || s.Followed || !s.Ended {
		t.Errorf("late snapshot: %+v %v, want an old, unfollowed, ended conversation", s, ok)
	}
	if n := len(r.detailCalls(c.ID)); n != 2 {
		t.Errorf("a late snapshot made %d more calls", n-2)
	}
}

// A snapshot showing an ended conversation alive again calls its drop
// off; a conversation whose end is never seen is dropped as stale, its
// detail events keeping it alive meanwhile.
func TestDropCancelledAndStale(t *testing.T) {
	const linger, stale = time.Minute, 10 * time.Minute
	r := newRig(t, followConfig(-1, Options{Linger: linger, StaleAfter: stale}))
	r.run(time.Time{})
	c, evs := r.conversation()
	now := r.kit.Clock.Now()
	seen := func(ev *notifications.Event) Sighting {
		e := *ev
		e.Received = now
		s, _ := r.d.Seen(&e)
		return s
	}
	if s := seen(evs[len(evs)-1]); !s.Ended {
		t.Fatalf("last snapshot %+v not ended", s)
	}
	if s := seen(evs[0]); s.Ended {
		t.Fatalf("first snapshot %+v ended", s)
	}
	r.advance(linger)
	r.d.expire(r.kit.Clock.Now(), time.Time{})
	if st := r.d.Stats(); st.Dropped != 0 || st.Followed != 1 {
		t.Fatalf("dropped although alive again: %+v", st)
	}

	// A detail event halfway keeps it alive for another StaleAfter.
	r.advanceTo(now.Add(stale / 2))
	r.d.Seen(&notifications.Event{Topic: c.DetailEvents[0].Topic, EventBody: c.DetailEvents[0].EventBody,
		Received: r.kit.Clock.Now()})
	r.advanceTo(now.Add(stale))
	r.d.expire(r.kit.Clock.Now(), time.Time{})
	if st := r.d.Stats(); st.Stale != 0 {
		t.Fatalf("stale although a detail event was read: %+v", st)
	}
	r.advanceTo(now.Add(stale/2 + stale))
	r.waitFor("the conversation dropped as stale", func() bool {
		st := r.d.Stats()
		return st.Stale == 1 && st.Dropped == 0 && st.Followed == 0
	})
	if calls := r.detailCalls(c.ID); len(calls) != 2 || !calls[1].unsubscribe {
		t.Errorf("calls %+v, want a subscribe and an unsubscribe", calls)
	}
}

// At most MaxFollowed conversations are followed at once (lingering ones
// count); the one beyond is never followed, counted once; when the
// followed ones are dropped, a new conversation is followed again.
func TestMaxFollowed(t *testing.T) {
	const linger = time.Minute
	r := newRig(t, followConfig(-1, Options{MaxFollowed: 2, Linger: linger}))
	r.run(time.Time{})
	convs := r.kit.Server.AddConversations(genesystest.T0().Add(time.Second), 3, 5*time.Second)
	var end time.Time
	for _, c := range convs {
		if c.End.After(end) {
			end = c.End
		}
	}
	r.advanceTo(end)
	// Every snapshot is read now, so that none ends Linger before the others.
	now := r.kit.Clock.Now()
	followed := map[string]bool{}
	for _, p := range r.kit.Server.Published() {
		if _, ok := queueOfSnapshotTopic(p.Topic); !ok {
			continue
		}
		s, ok := r.d.Seen(&notifications.Event{Topic: p.Topic, EventBody: p.EventBody, Received: now})
		if !ok {
			t.Fatalf("snapshot %d not read", p.Seq)
		}
		if f, seen := followed[s.ConversationID]; seen && f != s.Followed {
			t.Errorf("%s: followed changed to %v", s.ConversationID, s.Followed)
		}
		followed[s.ConversationID] = s.Followed
	}
	var n int
	for id, f := range followed {
		if f {
			n++
		} else if calls := r.detailCalls(id); len(calls) != 0 {
			t.Errorf("unfollowed %s: calls %+v", id, calls)
		}
	}
	if len(followed) != 3 || n != 2 {
		t.Fatalf("%d conversations, %d followed; want 3, 2", len(followed), n)
	}
	if st := r.d.Stats(); st.NotFollowed != 1 || st.Followed != 2 || st.FollowedTotal != 2 {
		t.Errorf("stats %+v", st)
	}

	r.advance(linger)
	r.waitFor("the followed conversations dropped", func() bool {
		st := r.d.Stats()
		return st.Dropped == 2 && st.Followed == 0 && st.Tracked == 0
	})
	c, evs := r.conversation()
	if s, _ := r.d.Seen(evs[0]); !s.Followed || !s.New {
		t.Errorf("a conversation after the drops: %+v, want new and followed", s)
	}
	if st := r.d.Stats(); st.NotFollowed != 1 || st.FollowedTotal != 3 || len(r.detailCalls(c.ID)) != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Without detail event types, conversations are sighted but not followed
// (and not counted against the budget).
func TestNoDetailTypesFollowsNothing(t *testing.T) {
	cfg := followConfig(-1, Options{})
	cfg.opts.DetailTypes = nil
	r := newRig(t, cfg)
	c, evs := r.conversation()
	s, ok := r.d.Seen(evs[0])
	if !ok || !s.New || s.Followed || s.ConversationID != c.ID {
		t.Errorf("sighting %+v %v", s, ok)
	}
	if st := r.d.Stats(); st.NotFollowed != 0 || st.Followed != 0 || len(r.rec.callList()) != 0 {
		t.Errorf("stats %+v, calls %+v", st, r.rec.callList())
	}
}

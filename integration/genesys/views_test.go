package genesys

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// eventFacts are what a conversation's detail events say: participant ->
// session, the times they carry (with the agent's answer: user.start plus
// user.end's alertingDurationMs), the user and the queue.
type eventFacts struct {
	sessions map[string]string
	times    map[string]bool // DateLayout strings
	userID   string
	queueID  string
}

func factsOf(t *testing.T, c Conversation) eventFacts {
	t.Helper()
	ef := eventFacts{sessions: map[string]string{}, times: map[string]bool{}}
	var userStart int64
	for _, p := range c.DetailEvents {
		var b struct {
			EventTime, AlertingDurationMs int64
			ParticipantID, SessionID      string
			UserID, QueueID               string
			ConversationID                string
		}
		if err := json.Unmarshal(p.EventBody, &b); err != nil || b.ConversationID != c.ID {
			t.Fatalf("event %s: %v", p.EventBody, err)
		}
		ef.sessions[b.ParticipantID] = b.SessionID
		ef.times[date(time.UnixMilli(b.EventTime))] = true
		if strings.HasSuffix(p.Topic, ".user.start") {
			userStart = b.EventTime
		}
		if strings.HasSuffix(p.Topic, ".user.end") {
			ef.times[date(time.UnixMilli(userStart+b.AlertingDurationMs))] = true
		}
		if b.UserID != "" {
			ef.userID = b.UserID
		}
		if b.QueueID != "" {
			ef.queueID = b.QueueID
		}
	}
	return ef
}

// "v2.routing.queues.{id}.conversations: a full Conversation snapshot on
// every change {id, participants[], recordingState, divisions, ...}; no
// event id, no sequence number"; detail events "per conversation"; the
// details query for "the same conversations". One call, three views: the
// same participants, sessions, user, queue and times.
func TestThreeViewsOfOneCall(t *testing.T) {
	f := newFixture(t, Options{})
	convs := f.s.AddConversations(t0().Add(time.Minute), 30, 20*time.Second)
	last := slices.MaxFunc(convs, func(a, b Conversation) int { return a.End.Compare(b.End) })
	f.advance(last.End.Sub(t0()) + 2*time.Minute)

	snaps := map[string][]Published{}
	for _, p := range f.s.Published() {
		if strings.HasPrefix(p.Topic, "v2.routing.queues.") {
			snaps[p.Conversation] = append(snaps[p.Conversation], p)
		}
	}
	var answer queryAnswer
	r := ok(t, f.api(http.MethodPost, detailsPath+"/query", map[string]any{
		"interval": "2026-11-30T00:00:00Z/2026-11-30T01:00:00Z", "paging": map[string]int{"pageSize": 100}}), http.StatusOK)
	checkModel(t, r.body, "AnalyticsConversationQueryResponse")
	r.decode(t, &answer)
	if answer.TotalHits != len(convs) {
		t.Fatalf("query found %d of %d conversations", answer.TotalHits, len(convs))
	}
	abandoned := 0
	for i, c := range convs {
		ef := factsOf(t, c)
		if ef.queueID != c.QueueID || !slices.ContainsFunc(f.s.Queues(), func(q Queue) bool { return q.ID == c.QueueID }) {
			t.Fatalf("conversation %s: queue %s is not one of the org's", c.ID, c.QueueID)
		}
		want := 6
		if c.Abandoned {
			want, abandoned = 2, abandoned+1
		}
		if len(snaps[c.ID]) != want {
			t.Fatalf("conversation %s: %d snapshots, want %d", c.ID, len(snaps[c.ID]), want)
		}
		for j, p := range snaps[c.ID] {
			checkModel(t, p.EventBody, "QueueConversationEventTopicConversation")
			var qc queueConversation
			if err := json.Unmarshal(p.EventBody, &qc); err != nil || qc.ID != c.ID || p.Topic != QueueConversationsTopic(c.QueueID) {
				t.Fatalf("snapshot %s on %s", p.EventBody, p.Topic)
			}
			for _, pt := range qc.Participants {
				call := pt.Calls[0]
				if ef.sessions[pt.ID] != call.ID || (pt.UserID != "" && pt.UserID != ef.userID) ||
					(call.ConnectedTime != "" && !ef.times[call.ConnectedTime]) ||
					(call.DisconnectedTime != "" && !ef.times[call.DisconnectedTime]) {
					t.Fatalf("snapshot participant %+v disagrees with the events %+v", pt, ef)
				}
				if j == len(snaps[c.ID])-1 && call.State != "disconnected" {
					t.Fatalf("last snapshot: %s still %s", pt.Purpose, call.State)
				}
			}
		}
		a := answer.Conversations[i] // ordered by conversationStart, as generated
		if a.ConversationID != c.ID || a.ConversationStart != date(c.Start) || a.ConversationEnd != date(c.End) {
			t.Fatalf("detail %s %s-%s, want %s %s-%s", a.ConversationID, a.ConversationStart, a.ConversationEnd,
				c.ID, date(c.Start), date(c.End))
		}
		for _, pt := range a.Participants {
			s := pt.Sessions[0]
			if ef.sessions[pt.ParticipantID] != s.SessionID || (pt.UserID != "" && pt.UserID != ef.userID) {
				t.Fatalf("detail participant %+v disagrees with the events", pt)
			}
			for _, sg := range s.Segments {
				if !ef.times[sg.SegmentStart] || !ef.times[sg.SegmentEnd] || (sg.QueueID != "" && sg.QueueID != c.QueueID) {
					t.Fatalf("segment %+v: times or queue not the events'", sg)
				}
			}
		}
	}
	if abandoned == 0 || abandoned == len(convs) {
		t.Fatalf("%d of %d abandoned: want both kinds", abandoned, len(convs))
	}
}

// A view as of a moment shows what happened by then: snapshots grow, and a
// detail of a call still going has no conversationEnd and open segments.
func TestViewsAsOfAMoment(t *testing.T) {
	f := newFixture(t, Options{AbandonRate: -1, AcceptRecentIntervals: true})
	c := f.s.AddConversations(t0().Add(time.Minute), 1, 0)[0]
	f.advance(2 * time.Minute)
	var a queryAnswer
	ok(t, f.api(http.MethodPost, detailsPath+"/query", map[string]any{"interval": "2026-11-30T09:00:00Z/2026-11-30T10:00:00Z"}),
		http.StatusOK).decode(t, &a)
	if len(a.Conversations) != 1 || a.Conversations[0].ConversationEnd != "" {
		t.Fatalf("a call in progress: %+v", a.Conversations)
	}
	open := 0
	for _, p := range a.Conversations[0].Participants {
		for _, sg := range p.Sessions[0].Segments {
			if sg.SegmentEnd == "" {
				open++
			}
		}
	}
	if open == 0 {
		t.Fatal("a call in progress has no open segment")
	}
	f.advance(c.End.Sub(f.clock.Now()))
	prev := 0
	for _, p := range f.s.Published() {
		if p.Topic == QueueConversationsTopic(c.QueueID) {
			var qc queueConversation
			_ = json.Unmarshal(p.EventBody, &qc)
			if len(qc.Participants) < prev {
				t.Fatalf("a later snapshot lost participants")
			}
			prev = len(qc.Participants)
		}
	}
	if prev != 3 {
		t.Fatalf("last snapshot has %d participants, want customer, acd, agent", prev)
	}
}

// Same seed, same world: ids, times and bytes.
func TestSameSeedSameWorld(t *testing.T) {
	run := func() []Published {
		f := newFixture(t, Options{Seed: 42, ConversationEvery: 10 * time.Second})
		f.advance(10 * time.Minute)
		return f.s.Published()
	}
	a, b := run(), run()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d notifications", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Frame, b[i].Frame) {
			t.Fatalf("notification %d differs:\n%s\n%s", i, a[i].Frame, b[i].Frame)
		}
	}
}

// Options.ConversationEvery starts a conversation every period from New.
func TestConversationEvery(t *testing.T) {
	f := newFixture(t, Options{ConversationEvery: 10 * time.Second})
	f.advance(35 * time.Second)
	convs := f.s.Conversations()
	if len(convs) != 4 {
		t.Fatalf("%d conversations after 35 s, want 4 (at 0, 10, 20, 30 s)", len(convs))
	}
	for i, c := range convs {
		if !c.Start.Equal(t0().Add(time.Duration(i) * 10 * time.Second)) {
			t.Fatalf("conversation %d starts at %v", i, c.Start)
		}
	}
}

// GET /api/v2/routing/queues, paged (QueueEntityListing).
func TestRoutingQueuesPaged(t *testing.T) {
	f := newFixture(t, Options{Queues: 7})
	var ids []string
	for page := 1; page <= 3; page++ {
		r := ok(t, f.api(http.MethodGet, queuesPath+query("pageSize", "3", "pageNumber", string(rune('0'+page))), nil), http.StatusOK)
		checkModel(t, r.body, "QueueEntityListing")
		var l queueListing
		r.decode(t, &l)
		if l.Total != 7 || l.PageCount != 3 || l.PageNumber != page || l.PageSize != 3 || (l.NextURI == "") != (page == 3) ||
			(l.PreviousURI == "") != (page == 1) {
			t.Fatalf("page %d: %+v", page, l)
		}
		for _, q := range l.Entities {
			ids = append(ids, q.ID)
		}
	}
	var want []string
	for _, q := range f.s.Queues() {
		want = append(want, q.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("paged ids %v, want %v", ids, want)
	}
	ok(t, f.api(http.MethodGet, queuesPath+query("pageSize", "0"), nil), http.StatusBadRequest)

	f2 := newFixture(t, Options{Clients: []Client{{ID: DefaultClientID, Secret: DefaultClientSecret, Permissions: []string{}}}})
	ok(t, f2.api(http.MethodGet, queuesPath, nil), http.StatusForbidden)
}

// Settle covers what was scheduled just before it, even when the clock has
// not moved since the pump's last pass.
func TestSettleSeesWhatWasJustScheduled(t *testing.T) {
	f := newFixture(t, Options{})
	f.advance(0)
	c := f.s.AddConversations(t0().Add(-time.Hour), 1, 0)[0]
	if err := f.s.Settle(testContext(t)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range f.s.Published() {
		if p.Conversation == c.ID && strings.HasPrefix(p.Topic, "v2.detail") {
			n++
		}
	}
	if n != len(c.DetailEvents) {
		t.Fatalf("%d of %d past events published after Settle", n, len(c.DetailEvents))
	}
}

package feed

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
)

// output is a source.Output that keeps every call, in order.
type output struct {
	mu     sync.Mutex
	events []source.Event
	dead   []source.DeadLetter
}

func (o *output) Event(_ context.Context, ev *source.Event) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, *ev)
	return nil
}

func (o *output) DeadLetter(_ context.Context, dl *source.DeadLetter) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dead = append(o.dead, *dl)
	return nil
}

func (o *output) Gap(context.Context, source.Gap) error { return nil }
func (o *output) Observe(fn func(source.Progress))      { fn(source.Progress{}) }
func (o *output) Connected(bool)                        {}

// details returns the calls so far and the indexes (0-based, in calls) of
// the conversation-detail records among them.
func (o *output) details() (calls int, idx []int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, ev := range o.events {
		if ev.Kind == KindConversationDetail {
			idx = append(idx, i)
		}
	}
	return len(o.events) + len(o.dead), idx
}

// A restart from a checkpoint back-fills the bridge's downtime: the calls
// that ended while it was away are written as conversation-detail records,
// and the downtime's gap leaves the checkpoint with the prefix that holds
// the last of them, not before.
func TestResumeBackfillsTheDowntimeWithTheCheckpoint(t *testing.T) {
	kit := genesystest.Start(t, genesys.Options{Seed: 5, Queues: 2, CallPace: 0.05})
	downFrom := genesystest.T0().Add(-20 * time.Minute)
	calls := kit.Server.AddConversations(downFrom.Add(time.Minute), 4, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kit.Advance(ctx, t, 0)

	src, err := New(Options{
		API: api.Options{LoginURL: kit.Server.LoginURL(), APIURL: kit.Server.APIURL(), ClientID: genesys.DefaultClientID,
			ClientSecret: genesys.DefaultClientSecret, HTTPClient: kit.HTTPClient(), Clock: kit.Clock},
		Logger:      zerolog.Nop(),
		Discovery:   discovery.Options{Templates: []string{"v2.routing.queues.{id}.conversations"}, AllQueues: true, DetailTypes: []string{"customer.start", "acd.start"}},
		Latency:     time.Second,
		PendingPoll: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(struct {
		V    int       `json:"v"`
		Live time.Time `json:"live"`
	}{1, downFrom})
	st, err := src.Resume(source.Checkpoint{Found: true, Position: source.Position{Since: downFrom, State: raw}})
	if err != nil {
		t.Fatal(err)
	}
	out := &output{}
	runCtx, stop := context.WithCancel(ctx)
	ended := make(chan error, 1)
	go func() { ended <- st.Run(runCtx, out) }()
	defer func() {
		stop()
		if err := <-ended; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	// The downtime ends now: its back-fill waits until that is a minute
	// (and the latency) in the past.
	var idx []int
	for deadline := time.Now().Add(20 * time.Second); len(idx) < len(calls); {
		if time.Now().After(deadline) {
			t.Fatalf("%d conversation-detail records after 20 s, want %d", len(idx), len(calls))
		}
		kit.Advance(ctx, t, 5*time.Second)
		_, idx = out.details()
	}
	last := uint64(idx[len(idx)-1])
	listsDowntime := func(count uint64) bool {
		var s state
		if err := json.Unmarshal(st.Position(source.Progress{Count: count}).State, &s); err != nil {
			t.Fatal(err)
		}
		for _, g := range s.Gaps {
			if g.From.Equal(downFrom) {
				return true
			}
		}
		return false
	}
	if !listsDowntime(last) {
		t.Fatalf("the checkpoint of the first %d calls no longer lists the downtime, but the last of its records is call %d", last, last+1)
	}
	if listsDowntime(last + 1) {
		t.Fatalf("the checkpoint of the first %d calls, the downtime's records included, still lists it", last+1)
	}
	if h := st.Horizon(source.Progress{}); h.After(downFrom) {
		t.Errorf("the epoch's horizon %v is after the downtime's start %v: the scan would miss its records", h, downFrom)
	}
}

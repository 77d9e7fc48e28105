package backfill

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
)

// t0 is the stand-in's time at the start of a test: 2026-11-30 10:00 UTC.
var t0 = genesystest.T0()

// dayScenario generates, on the stand-in whose clock is at t0,
// conversations around an interval [00:00, 09:57:30) of 2026-11-30:
// some started the day before (a few still going at midnight, most not),
// some in the interval, some in its last seconds (still going when it is
// fetched) and some after it.
func dayScenario(r *rig) (convs []genesys.Conversation, from, to time.Time) {
	from, to = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 9, 57, 30, 0, time.UTC)
	s := r.kit.Server
	convs = append(convs, s.AddConversations(from.Add(-30*time.Minute), 40, time.Minute)...)
	convs = append(convs, s.AddConversations(from.Add(3*time.Hour), 20, 5*time.Minute)...)
	convs = append(convs, s.AddConversations(to.Add(-30*time.Second), 15, 4*time.Second)...)
	if err := s.Settle(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	return convs, from, to
}

// The interval's conversations, by the stand-in's ledger: one that started
// the previous UTC day, one still going, none that ended before the
// interval or started after it; each once, in start order, with its end
// when it has one, and its bytes as served.
func TestActiveSelectsTheConversationsActiveInTheInterval(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 1}, Options{PageSize: 10})
	convs, from, to := dayScenario(r)
	got, err := r.active(from, to)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, expected(convs, nil, from, to))

	// The scenario has every case the selection must get right.
	var dayBefore, endedBefore, startedAfter, ongoing bool
	now := r.clock.Now() // the time of the queries: nothing waited
	for _, c := range convs {
		dayBefore = dayBefore || c.Start.Before(from) && !c.End.Before(from)
		endedBefore = endedBefore || c.End.Before(from)
		startedAfter = startedAfter || !c.Start.Before(to)
		ongoing = ongoing || c.Start.Before(to) && c.End.After(now)
	}
	if !dayBefore || !endedBefore || !startedAfter || !ongoing {
		t.Fatalf("scenario lacks a case: started the day before %v, ended before %v, started after %v, ongoing %v",
			dayBefore, endedBefore, startedAfter, ongoing)
	}

	byID := map[string]genesys.Conversation{}
	for _, c := range convs {
		byID[c.ID] = c
	}
	if !slices.IsSortedFunc(got, func(a, b Conversation) int { return a.Start.Compare(b.Start) }) {
		t.Error("conversations not in start order")
	}
	for _, c := range got {
		want := byID[c.ID]
		if !c.Start.Equal(want.Start) {
			t.Errorf("%s: Start %v, want %v", c.ID, c.Start, want.Start)
		}
		switch {
		case want.End.After(now) && !c.End.IsZero():
			t.Errorf("%s: End %v, but it ends at %v, after the query (%v)", c.ID, c.End, want.End, now)
		case !want.End.After(now) && !c.End.Equal(want.End):
			t.Errorf("%s: End %v, want %v", c.ID, c.End, want.End)
		}
		checkRaw(t, r, c)
	}
	if jobs := r.attemptsTo(http.MethodPost, jobsPath); len(jobs) != 0 {
		t.Errorf("%d details jobs for an interval the data lake does not cover", len(jobs))
	}
}

// checkRaw holds c.Raw to the bytes the API served for it.
func checkRaw(t *testing.T, r *rig, c Conversation) {
	t.Helper()
	var head struct {
		ID string `json:"conversationId"`
	}
	if err := json.Unmarshal(c.Raw, &head); err != nil || head.ID != c.ID {
		t.Errorf("%s: Raw is not its conversation (%v): %.100s", c.ID, err, c.Raw)
	}
	if !r.served(c.Raw) || c.Raw[0] != '{' || c.Raw[len(c.Raw)-1] != '}' {
		t.Errorf("%s: Raw is not an element as served: %.100s", c.ID, c.Raw)
	}
}

// The stand-in's repeat-rows fault shifts a page back: its first rows
// repeat the page before, and as many rows after it are never served in
// that pass. Each conversation still comes once, and none is missing.
// (Pages of 25: the fault shifts page 2, rows 26-50, so rows 47-50, of
// the conversations from 03:00, are the ones a single pass would miss.)
func TestActiveRepeatedRowsYieldEachConversationOnce(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 1}, Options{PageSize: 25})
	convs, from, to := dayScenario(r)
	r.kit.Server.RepeatRows(4)
	got, err := r.active(from, to)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, expected(convs, nil, from, to))
	if !strings.Contains(r.logs.String(), "rows repeated across pages") {
		t.Errorf("the fault did not show: the log does not say rows repeated\n%s", r.logs.String())
	}
}

// Active waits on the clock until the interval ended more than a minute
// ago (the stand-in answers 400 otherwise), then fetches it.
func TestActiveWaitsUntilTheIntervalIsAMinuteOld(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 2}, Options{})
	convs := r.kit.Server.AddConversations(t0.Add(-20*time.Minute), 20, 30*time.Second)
	from, to := t0.Add(-15*time.Minute), t0
	done := make(chan struct{})
	var (
		got []Conversation
		err error
	)
	go func() {
		defer close(done)
		got, err = r.fetcher.Active(r.ctx, from, to)
	}()
	select {
	case <-r.clock.armed:
	case <-r.ctx.Done():
		t.Fatal("Active armed no wait")
	}
	due, ok := r.clock.earliest()
	if want := to.Add(time.Minute + time.Second); !ok || !due.Equal(want) {
		t.Fatalf("waiting until %v (%v), want %v", due, ok, want)
	}
	r.kit.Advance(r.ctx, t, time.Minute)
	if still, ok := r.clock.earliest(); !ok || !still.Equal(due) {
		t.Fatalf("a minute after the interval: the wait is gone (%v %v)", still, ok)
	}
	select {
	case <-done:
		t.Fatalf("Active returned a minute after the interval ended: %v", err)
	default:
	}
	if n := len(r.attemptsTo(http.MethodPost, queryPath)); n != 0 {
		t.Fatalf("%d queries a minute after the interval ended", n)
	}
	r.kit.Advance(r.ctx, t, time.Second)
	select {
	case <-done:
	case <-r.ctx.Done():
		t.Fatal("Active did not return once the interval was a minute old")
	}
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, expected(convs, nil, from, to))
	for _, a := range r.attemptsTo("", "") {
		if a.Status != http.StatusOK {
			t.Errorf("%s %s: %d", a.Method, a.Path, a.Status)
		}
	}
}

// A 429 with Retry-After is waited out on the clock (the API client's
// policy) and the fetch completes.
func TestActiveCompletesThroughRateLimits(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 3}, Options{PageSize: 10})
	convs, from, to := dayScenario(r)
	r.kit.Server.Throttle(queryPath, 2, 7*time.Second)
	start := r.clock.Now()
	got, err := r.active(from, to)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, expected(convs, nil, from, to))
	limited := 0
	for _, a := range r.attemptsTo(http.MethodPost, queryPath) {
		if a.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 2 {
		t.Errorf("%d answers of 429, want 2", limited)
	}
	if waited := r.clock.Now().Sub(start); waited < 14*time.Second {
		t.Errorf("the clock moved %v: the Retry-After waits were not honoured", waited)
	}
}

package backfill

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// longScenario generates conversations around [12:00 on the 29th, 06:00
// on the 30th): an interval of 18 h that the data lake (an hour behind
// t0, 10:00 on the 30th) covers.
func longScenario(r *rig) (convs []genesys.Conversation, from, to time.Time) {
	from, to = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	s := r.kit.Server
	convs = append(convs, s.AddConversations(from.Add(-20*time.Minute), 30, time.Minute)...)
	convs = append(convs, s.AddConversations(from.Add(11*time.Hour+50*time.Minute), 30, time.Minute)...) // across midnight
	convs = append(convs, s.AddConversations(to.Add(-10*time.Minute), 20, time.Minute)...)
	if err := s.Settle(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	return convs, from, to
}

// An interval longer than JobsOver that the data lake covers is fetched
// with one details job, polled on the clock, its results paged by cursor.
func TestActiveLongIntervalUsesADetailsJob(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 4}, Options{})
	r.fetcher.be.(*apiBackend).resultsPageSize = 7
	convs, from, to := longScenario(r)
	start := r.clock.Now()
	got, err := r.active(from, to)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, expected(convs, nil, from, to))
	for _, c := range got {
		checkRaw(t, r, c)
	}
	if n := len(r.attemptsTo(http.MethodPost, jobsPath)); n != 1 {
		t.Errorf("%d details jobs, want 1", n)
	}
	if n := len(r.attemptsTo(http.MethodPost, queryPath)); n != 0 {
		t.Errorf("%d details queries beside the job", n)
	}
	if pages := len(r.attemptsTo(http.MethodGet, jobsPath+"/")) - len(r.attemptsTo(http.MethodGet, jobsPath+"/availability")); pages < 3 {
		t.Errorf("%d job status and results requests: the results were not paged", pages)
	}
	if waited := r.clock.Now().Sub(start); waited < 10*time.Second {
		t.Errorf("the clock moved %v: the job was not waited for (JobDelay 10 s)", waited)
	}
}

// A job that ends FAILED is not dropped: the log says so and queries
// fetch its interval.
func TestActiveFailedJobFallsBackToQueries(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 4}, Options{})
	convs, from, to := longScenario(r)
	r.kit.Server.FailJobs(1)
	got, err := r.active(from, to)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, expected(convs, nil, from, to))
	if !strings.Contains(r.logs.String(), "details job failed: falling back to details queries") {
		t.Errorf("the log does not say the job failed:\n%s", r.logs.String())
	}
	if n := len(r.attemptsTo(http.MethodPost, queryPath)); n == 0 {
		t.Error("no details query after the failed job")
	}
}

// A job abandoned because the context ended is cancelled (DELETE).
func TestActiveCancelsItsJobWhenTheContextEnds(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 4}, Options{})
	_, from, to := longScenario(r)
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	r.onAttempt = func(a api.Attempt) {
		if a.Method == http.MethodPost && a.Path == jobsPath && a.Status == http.StatusAccepted {
			cancel()
		}
	}
	_, err := r.fetcher.Active(ctx, from, to)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Active: %v, want context.Canceled", err)
	}
	deletes := r.attemptsTo(http.MethodDelete, jobsPath+"/")
	if len(deletes) != 1 || deletes[0].Status != http.StatusNoContent {
		t.Fatalf("DELETEs of the job: %+v, want one answered 204", deletes)
	}
}

// With paging capped low, the stand-in's queries are split per UTC day,
// then per queue, and a queue's day still beyond the cap is fetched with a
// job; together they return exactly the interval's conversations.
func TestActiveSplitsBeyondThePagingCap(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 5, Queues: 3}, Options{PageSize: 4})
	var queues []string
	for _, q := range r.kit.Server.Queues() {
		queues = append(queues, q.ID)
	}
	queues = queues[:2] // two of the three
	r.fetcher.opts.QueueIDs = queues
	r.fetcher.cap = 8
	from, to := time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	var convs []genesys.Conversation
	convs = append(convs, r.kit.Server.AddConversations(from.Add(-time.Hour), 30, 4*time.Minute)...)
	convs = append(convs, r.kit.Server.AddConversations(to.Add(-time.Hour), 40, 2*time.Minute)...)
	if err := r.kit.Server.Settle(r.ctx); err != nil {
		t.Fatal(err)
	}
	got, err := r.active(from, to)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, expected(convs, queues, from, to))
	for _, step := range []string{"split per UTC day", "split per queue", "beyond the paging cap: details job", "details job results read"} {
		if !strings.Contains(r.logs.String(), step) {
			t.Errorf("the log lacks %q:\n%s", step, r.logs.String())
		}
	}
}

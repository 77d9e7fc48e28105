package genesys

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// submit posts a details job and returns its id.
func (f *fixture) submit(body map[string]any) string {
	f.t.Helper()
	var a struct{ JobID string }
	r := ok(f.t, f.api(http.MethodPost, detailsPath+"/jobs", body), http.StatusAccepted)
	checkModel(f.t, r.body, "AsyncQueryResponse")
	r.decode(f.t, &a)
	return a.JobID
}

// status GETs a job's status.
func (f *fixture) status(id string) jobStatus {
	f.t.Helper()
	var st jobStatus
	r := ok(f.t, f.api(http.MethodGet, detailsPath+"/jobs/"+id, nil), http.StatusOK)
	checkModel(f.t, r.body, "AsyncQueryStatus")
	r.decode(f.t, &st)
	return st
}

// results reads every page of a job's results, pageSize at a time.
func (f *fixture) results(id string, pageSize int) (convs []analyticsConversation, pages int, availability string) {
	f.t.Helper()
	cursor := ""
	for {
		var a struct {
			Conversations        []analyticsConversation
			Cursor               string
			DataAvailabilityDate string
		}
		q := query("pageSize", itoa(pageSize), "cursor", cursor)
		r := ok(f.t, f.api(http.MethodGet, detailsPath+"/jobs/"+id+"/results"+q, nil), http.StatusOK)
		checkModel(f.t, r.body, "AnalyticsConversationAsyncQueryResponse")
		r.decode(f.t, &a)
		convs, pages, availability = append(convs, a.Conversations...), pages+1, a.DataAvailabilityDate
		if a.Cursor == "" {
			return convs, pages, availability
		}
		cursor = a.Cursor
	}
}

// Jobs: "POST …/details/jobs (same filters + limit; the interval means
// 'had activity during') → {jobId}; GET …/jobs/{id} → {state,
// errorMessage, expirationDate, …}; GET …/jobs/{id}/results?cursor&pageSize
// → {conversations[] (with attributes), cursor, dataAvailabilityDate}";
// "GET …/jobs/availability → dataAvailabilityDate (data before it is in
// the data lake)".
func TestDetailsJobLifecycle(t *testing.T) {
	f := newFixture(t, Options{DataLakeLag: time.Hour, JobDelay: 10 * time.Second, JobLifetime: 48 * time.Hour,
		TokenLifetime: 72 * time.Hour})
	overnight := f.s.AddConversations(time.Date(2026, 11, 29, 23, 58, 0, 0, time.UTC), 1, 0)
	inLake := append(overnight, f.s.AddConversations(t0().Add(-3*time.Hour), 20, 5*time.Minute)...)
	f.s.AddConversations(t0().Add(-50*time.Minute), 3, time.Minute) // after dataAvailabilityDate
	f.advance(0)
	day := "2026-11-30T00:00:00Z/2026-11-30T12:00:00Z"

	id := f.submit(map[string]any{"interval": day})
	if st := f.status(id); st.State != "QUEUED" || st.SubmissionDate != date(t0()) {
		t.Fatalf("just submitted: %+v", st)
	}
	ok(t, f.api(http.MethodGet, detailsPath+"/jobs/"+id+"/results", nil), http.StatusBadRequest)
	f.advance(5 * time.Second)
	if st := f.status(id); st.State != "PENDING" {
		t.Fatalf("half way: %+v", st)
	}
	f.advance(5 * time.Second)
	st := f.status(id)
	if st.State != "FULFILLED" || st.CompletionDate != date(t0().Add(10*time.Second)) ||
		st.ExpirationDate != date(t0().Add(48*time.Hour+10*time.Second)) {
		t.Fatalf("done: %+v", st)
	}
	convs, pages, availability := f.results(id, 7)
	var got []string
	for _, c := range convs {
		got = append(got, c.ConversationID)
		for _, p := range c.Participants {
			if p.Attributes == nil {
				t.Fatalf("job result participant %s without attributes", p.ParticipantID)
			}
		}
	}
	if !slices.Equal(got, ids(inLake...)) || pages != 3 || availability != date(t0().Add(-time.Hour)) {
		t.Fatalf("results %d in %d pages (availability %s), want the %d in the lake, the overnight call first",
			len(got), pages, availability, len(inLake))
	}

	// limit, and startOfDayIntervalMatching drops the call from the day before
	for _, tc := range []struct {
		body map[string]any
		want []string
	}{
		{map[string]any{"interval": day, "limit": 3}, ids(inLake[:3]...)},
		{map[string]any{"interval": day, "startOfDayIntervalMatching": true}, ids(inLake[1:]...)},
	} {
		id := f.submit(tc.body)
		f.advance(10 * time.Second)
		convs, _, _ := f.results(id, 1000)
		got = got[:0]
		for _, c := range convs {
			got = append(got, c.ConversationID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: %d results, want %d", tc.body, len(got), len(tc.want))
		}
	}

	var av struct{ DataAvailabilityDate string }
	r := ok(t, f.api(http.MethodGet, detailsPath+"/jobs/availability", nil), http.StatusOK)
	checkModel(t, r.body, "DataAvailabilityResponse")
	if r.decode(t, &av); av.DataAvailabilityDate != date(f.clock.Now().Add(-time.Hour)) {
		t.Fatalf("availability %s", av.DataAvailabilityDate)
	}

	ok(t, f.api(http.MethodGet, detailsPath+"/jobs/"+id+"/results?cursor=bm9wZQ", nil), http.StatusBadRequest)
	f.advance(48 * time.Hour)
	if st := f.status(id); st.State != "EXPIRED" {
		t.Fatalf("after its lifetime: %+v", st)
	}
	ok(t, f.api(http.MethodGet, detailsPath+"/jobs/"+id+"/results", nil), http.StatusBadRequest)
}

// DELETE cancels; an injected failure ends FAILED with an errorMessage;
// another client's job is not found.
func TestDetailsJobCancelFailAndOwnership(t *testing.T) {
	f := newFixture(t, Options{})
	body := map[string]any{"interval": "2026-11-30T00:00:00Z/2026-11-30T12:00:00Z"}
	cancelled := f.submit(body)
	ok(t, f.api(http.MethodDelete, detailsPath+"/jobs/"+cancelled, nil), http.StatusNoContent)
	f.s.FailJobs(1)
	failed := f.submit(body)
	f.advance(time.Minute)
	if st := f.status(cancelled); st.State != "CANCELLED" {
		t.Fatalf("cancelled job: %+v", st)
	}
	if st := f.status(failed); st.State != "FAILED" || st.ErrorMessage == "" {
		t.Fatalf("failed job: %+v", st)
	}
	if st := f.status(f.submit(body)); st.State != "QUEUED" {
		t.Fatalf("FailJobs(1) failed more than one job: %+v", st)
	}
	f2 := newFixture(t, Options{})
	ok(t, f2.api(http.MethodGet, detailsPath+"/jobs/"+cancelled, nil), http.StatusNotFound)
	ok(t, f.api(http.MethodGet, detailsPath+"/jobs/no-such-job", nil), http.StatusNotFound)
	ok(t, f.api(http.MethodPost, detailsPath+"/jobs", map[string]any{"interval": body["interval"], "limit": 0}),
		http.StatusBadRequest)
}

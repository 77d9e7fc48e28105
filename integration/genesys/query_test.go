package genesys

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// queryIDs posts a details query and returns the answer's conversation ids
// and totalHits, failing the test on any status but 200.
func (f *fixture) queryIDs(body map[string]any) ([]string, int) {
	f.t.Helper()
	var a queryAnswer
	r := ok(f.t, f.api(http.MethodPost, detailsPath+"/query", body), http.StatusOK)
	checkModel(f.t, r.body, "AnalyticsConversationQueryResponse")
	r.decode(f.t, &a)
	ids := []string{}
	for _, c := range a.Conversations {
		ids = append(ids, c.ConversationID)
	}
	return ids, a.TotalHits
}

func ids(convs ...Conversation) []string {
	out := []string{}
	for _, c := range convs {
		out = append(out, c.ID)
	}
	return out
}

// "The interval selects conversations that started on a day the interval
// touches" (the SDK's ConversationQuery: "Results will only include
// conversations that started on a day touched by the interval").
func TestQuerySelectsByStartDay(t *testing.T) {
	f := newFixture(t, Options{})
	nov29 := f.s.AddConversations(time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC), 1, 0)
	nov30 := f.s.AddConversations(time.Date(2026, 11, 30, 0, 30, 0, 0, time.UTC), 1, 0)
	nov30 = append(nov30, f.s.AddConversations(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), 1, 0)...)
	f.advance(14*time.Hour + 30*time.Minute) // Dec 1 00:30
	dec1 := f.s.AddConversations(time.Date(2026, 12, 1, 0, 5, 0, 0, time.UTC), 1, 0)
	f.advance(90 * time.Minute)
	for _, tc := range []struct {
		interval string
		want     []Conversation
	}{
		{"2026-11-30T09:00:00Z/2026-11-30T09:01:00Z", nov30},
		{"2026-11-29T23:00:00Z/2026-11-30T00:00:00Z", nov29},
		{"2026-11-29T23:00:00Z/2026-11-30T00:00:01Z", append(slices.Clone(nov29), nov30...)},
		{"2026-11-30T23:59:00.000Z/2026-12-01T00:01:00.000Z", append(slices.Clone(nov30), dec1...)},
		{"2026-11-30T01:00:00+02:00/2026-11-30T01:30:00+02:00", nov29}, // 23:00Z on the 29th
	} {
		got, total := f.queryIDs(map[string]any{"interval": tc.interval})
		if want := ids(tc.want...); !slices.Equal(got, want) || total != len(want) {
			t.Errorf("%s: %v (%d), want %v", tc.interval, got, total, want)
		}
	}
}

// "end the interval a minute before now" (enforced here), "31-day
// interval", and malformed intervals: 400.
func TestQueryIntervalChecks(t *testing.T) {
	f := newFixture(t, Options{})
	recent := newFixture(t, Options{AcceptRecentIntervals: true})
	at := func(d time.Duration) string { return t0().Add(d).Format(time.RFC3339) }
	for _, tc := range []struct {
		f        *fixture
		interval string
		status   int
	}{
		{f, at(-time.Hour) + "/" + at(-time.Minute), 200},
		{f, at(-time.Hour) + "/" + at(-59*time.Second), 400},
		{f, at(-time.Hour) + "/" + at(time.Hour), 400},
		{recent, at(-time.Hour) + "/" + at(time.Hour), 200},
		{f, at(-32*24*time.Hour) + "/" + at(-time.Hour), 400},
		{f, at(-31*24*time.Hour-time.Hour) + "/" + at(-time.Hour), 200},
		{f, at(-time.Minute) + "/" + at(-time.Hour), 400},
		{f, "yesterday", 400},
		{f, at(-time.Hour) + "/soon", 400},
	} {
		r := tc.f.api(http.MethodPost, detailsPath+"/query", map[string]any{"interval": tc.interval})
		if r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.interval, r.status, r.body, tc.status)
		}
	}
}

// "page size up to 100"; "Pagination may not exceed 100000 results".
func TestQueryPaging(t *testing.T) {
	f := newFixture(t, Options{})
	convs := f.s.AddConversations(t0().Add(-3*time.Hour), 250, 10*time.Second)
	f.advance(time.Minute)
	day := "2026-11-30T00:00:00Z/2026-11-30T00:01:00Z"
	var all []string
	for page := 1; page <= 3; page++ {
		got, total := f.queryIDs(map[string]any{"interval": day, "paging": map[string]int{"pageSize": 100, "pageNumber": page}})
		if total != 250 || len(got) != []int{100, 100, 50}[page-1] {
			t.Fatalf("page %d: %d rows of %d", page, len(got), total)
		}
		all = append(all, got...)
	}
	if !slices.Equal(all, ids(convs...)) {
		t.Fatal("pages are not the conversations in conversationStart order, each once")
	}
	if got, _ := f.queryIDs(map[string]any{"interval": day, "order": "desc", "paging": map[string]int{"pageSize": 1}}); got[0] != convs[249].ID {
		t.Fatal("desc does not start with the newest")
	}
	for _, tc := range []struct {
		size, number, status int
		says                 string
	}{
		{101, 1, 400, "pageSize"}, {0, 0, 200, ""}, {100, 1000, 200, ""},
		{100, 1001, 400, "Pagination may not exceed 100000 results"}, {25, 4001, 400, "Pagination may not exceed 100000"},
		{1, 1 << 62, 400, "Pagination may not exceed 100000"},
	} {
		r := f.api(http.MethodPost, detailsPath+"/query", map[string]any{"interval": day,
			"paging": map[string]int{"pageSize": tc.size, "pageNumber": tc.number}})
		if r.status != tc.status || !strings.Contains(string(r.body), tc.says) {
			t.Errorf("pageSize %d pageNumber %d: %d %s, want %d %q", tc.size, tc.number, r.status, r.body, tc.status, tc.says)
		}
	}
}

// "Results drift while data arrives and rows can repeat across pages":
// paging newest first while calls arrive repeats rows; so does a
// conversation indexed late (Options.IndexLag); RepeatRows forces it.
func TestRowsDriftAndRepeatAcrossPages(t *testing.T) {
	day := "2026-11-30T00:00:00Z/2026-11-30T00:01:00Z"
	page := func(f *fixture, order string, n int) []string {
		got, _ := f.queryIDs(map[string]any{"interval": day, "order": order, "paging": map[string]int{"pageSize": 10, "pageNumber": n}})
		return got
	}
	t.Run("new calls while paging newest first", func(t *testing.T) {
		f := newFixture(t, Options{})
		f.s.AddConversations(t0().Add(-time.Hour), 30, time.Minute)
		first := page(f, "desc", 1)
		f.s.AddConversations(t0().Add(time.Second), 3, time.Second)
		f.advance(5 * time.Second)
		second := page(f, "desc", 2)
		if !slices.Equal(second[:3], first[7:]) {
			t.Fatalf("page 2 starts %v, want page 1's last three %v again", second[:3], first[7:])
		}
	})
	t.Run("late indexing", func(t *testing.T) {
		f := newFixture(t, Options{IndexLag: 10 * time.Minute, Seed: 3})
		convs := f.s.AddConversations(t0().Add(-5*time.Minute), 20, 10*time.Second)
		_, before := f.queryIDs(map[string]any{"interval": day})
		f.advance(10 * time.Minute)
		got, after := f.queryIDs(map[string]any{"interval": day, "paging": map[string]int{"pageSize": 100}})
		if before == 0 || before >= len(convs) || after != len(convs) || !slices.Equal(got, ids(convs...)) {
			t.Fatalf("found %d of %d before the lag, %d after; want some, then all", before, len(convs), after)
		}
	})
	t.Run("RepeatRows", func(t *testing.T) {
		f := newFixture(t, Options{})
		f.s.AddConversations(t0().Add(-time.Hour), 30, time.Minute)
		first := page(f, "asc", 1)
		f.s.RepeatRows(2)
		if second := page(f, "asc", 2); !slices.Equal(second[:2], first[8:]) {
			t.Fatalf("page 2 starts %v, want %v", second[:2], first[8:])
		}
		if third := page(f, "asc", 3); slices.Contains(third, first[9]) {
			t.Fatal("RepeatRows lasted past one query")
		}
	})
}

// Filters on conversation and segment dimensions, "filter on
// conversationEnd" among them.
func TestQueryFilters(t *testing.T) {
	f := newFixture(t, Options{Queues: 3})
	convs := f.s.AddConversations(t0().Add(-30*time.Minute), 40, 45*time.Second)
	day := "2026-11-30T00:00:00Z/2026-11-30T00:01:00Z"
	q0, q1 := f.s.Queues()[0].ID, f.s.Queues()[1].ID
	pred := func(dim, op, value string) map[string]string {
		return map[string]string{"type": "dimension", "dimension": dim, "operator": op, "value": value}
	}
	want := func(keep func(c Conversation) bool) []string {
		var out []string
		for _, c := range convs {
			if keep(c) {
				out = append(out, c.ID)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string
	}{
		{"queue", map[string]any{"segmentFilters": []any{map[string]any{"type": "and",
			"predicates": []any{pred("queueId", "matches", q0)}}}}, want(func(c Conversation) bool { return c.QueueID == q0 })},
		{"either queue", map[string]any{"segmentFilters": []any{map[string]any{"type": "or",
			"predicates": []any{pred("queueId", "", q0), pred("queueId", "", q1)}}}},
			want(func(c Conversation) bool { return c.QueueID != f.s.Queues()[2].ID })},
		{"ended", map[string]any{"conversationFilters": []any{map[string]any{"type": "and",
			"predicates": []any{pred("conversationEnd", "exists", "")}}}},
			want(func(c Conversation) bool { return !c.End.After(t0()) })},
		{"answered in a queue", map[string]any{"segmentFilters": []any{map[string]any{"type": "and", "clauses": []any{
			map[string]any{"type": "and", "predicates": []any{pred("purpose", "", "agent"), pred("queueId", "", q1)}}}}}},
			want(func(c Conversation) bool { return c.QueueID == q1 && happened(t, c, "user.start", t0()) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["interval"], tc.body["paging"] = day, map[string]int{"pageSize": 100}
			got, _ := f.queryIDs(tc.body)
			if len(tc.want) == 0 || len(tc.want) == len(convs) || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("%d rows %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
		})
	}
	for _, bad := range []map[string]any{
		{"segmentFilters": []any{map[string]any{"type": "and", "predicates": []any{pred("nonsense", "", "x")}}}},
		{"conversationFilters": []any{map[string]any{"type": "xor", "predicates": []any{pred("conversationId", "", "x")}}}},
		{"orderBy": "somethingElse"},
	} {
		bad["interval"] = day
		if r := f.api(http.MethodPost, detailsPath+"/query", bad); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", bad, r.status)
		}
	}
}

// happened reports whether c has a detail event of type suffix at or before at.
func happened(t *testing.T, c Conversation, suffix string, at time.Time) bool {
	t.Helper()
	for _, p := range c.DetailEvents {
		if strings.HasSuffix(p.Topic, "."+suffix) {
			var b struct{ EventTime int64 }
			if err := json.Unmarshal(p.EventBody, &b); err != nil {
				t.Fatal(err)
			}
			return b.EventTime <= at.UnixMilli()
		}
	}
	return false
}

// "GET /api/v2/analytics/conversations/{id}/details and multi-get ?id=…
// (no attributes)".
func TestGetDetailsByID(t *testing.T) {
	f := newFixture(t, Options{IndexLag: time.Minute, Seed: 5})
	convs := f.s.AddConversations(t0().Add(-time.Hour), 3, time.Minute)
	late := f.s.AddConversations(t0(), 1, 0)[0]
	f.advance(0)
	r := ok(t, f.api(http.MethodGet, conversationsPath+"/"+convs[0].ID+"/details", nil), http.StatusOK)
	checkModel(t, r.body, "AnalyticsConversationWithoutAttributes")
	var one analyticsConversation
	if r.decode(t, &one); one.ConversationID != convs[0].ID || one.ConversationEnd != date(convs[0].End) {
		t.Fatalf("detail %+v", one)
	}
	f.s.mu.Lock()
	lagged := f.s.world.byID[late.ID].visible.After(late.Start)
	f.s.mu.Unlock()
	if !lagged {
		t.Fatal("the late call has no index lag; pick another seed")
	}
	ok(t, f.api(http.MethodGet, conversationsPath+"/"+late.ID+"/details", nil), http.StatusNotFound)
	ok(t, f.api(http.MethodGet, conversationsPath+"/nope/details", nil), http.StatusNotFound)
	var many struct{ Conversations []analyticsConversation }
	r = ok(t, f.api(http.MethodGet, detailsPath+"?id="+convs[1].ID+","+late.ID+"&id="+convs[2].ID+"&id=nope", nil), http.StatusOK)
	checkModel(t, r.body, "AnalyticsConversationWithoutAttributesMultiGetResponse")
	if r.decode(t, &many); len(many.Conversations) != 2 || many.Conversations[0].ConversationID != convs[1].ID ||
		many.Conversations[1].ConversationID != convs[2].ID {
		t.Fatalf("multi-get %+v", many.Conversations)
	}
	ok(t, f.api(http.MethodGet, detailsPath, nil), http.StatusBadRequest)
}

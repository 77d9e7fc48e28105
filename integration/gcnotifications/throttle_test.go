package gcnotifications_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/feed"
)

// throttledAndRepeatedRows: 429s with Retry-After on subscriptions
// (at the start and again while calls are live), on the details query of
// a gap's back-fill and on the fetches of awaited conversations by id; a
// 503 on the query; and, with pages of 5, the query's second page
// repeating rows of the first (data arriving mid-paging). The calls live
// when the bridge starts fall in its first gap, which takes several
// pages. Every conversation is covered, no dedup key twice.
func throttledAndRepeatedRows(t *testing.T) {
	r := newRig(t, setup{standin: genesys.Options{Seed: 61, CallPace: 0.05},
		feed: func(o *feed.Options) { o.Backfill.PageSize = 5 }})
	const (
		channels = "/api/v2/notifications/channels/"
		byID     = "/api/v2/analytics/conversations/details"
	)
	r.g.AddConversations(time.Now(), 20, 200*time.Millisecond)
	r.g.Throttle(channels, 2, 2*time.Second)
	r.g.Throttle(queryPath, 2, 3*time.Second)
	r.g.FailNext(queryPath, http.StatusServiceUnavailable, 1)
	r.g.Throttle(byID, 3, 2*time.Second) // and queries, after the rules above
	r.g.RepeatRows(2)
	ru := r.start()
	r.g.AddConversations(time.Now(), 30, 500*time.Millisecond)
	r.connected(ru)
	throttled := r.net.count("", channels, http.StatusTooManyRequests)
	r.g.Throttle(channels, 2, 2*time.Second)
	r.waitFor(ru, time.Minute, "subscriptions throttled while calls are live", func() bool {
		return r.net.count("", channels, http.StatusTooManyRequests) >= throttled+2
	})

	rep := r.waitCovered(ru)
	for _, c := range []struct {
		what           string
		method, prefix string
		status, want   int
	}{
		{"channel calls answered 429", "", channels, http.StatusTooManyRequests, 4},
		{"details queries answered 429", http.MethodPost, queryPath, http.StatusTooManyRequests, 2},
		{"details queries answered 503", http.MethodPost, queryPath, http.StatusServiceUnavailable, 1},
		{"conversations by id answered 429", http.MethodGet, byID, http.StatusTooManyRequests, 1},
	} {
		if n := r.net.count(c.method, c.prefix, c.status); n < c.want {
			t.Errorf("%d %s, want %d", n, c.what, c.want)
		}
	}
	if p := r.net.queryPages(); p < 2 {
		t.Errorf("the details queries went to page %d: no second page repeated rows", p)
	}
	r.logReport(ru, rep, fmt.Sprintf("429s: %d on channels, %d on queries, %d on by-id fetches; query pages up to %d",
		r.net.count("", channels, http.StatusTooManyRequests), r.net.count(http.MethodPost, queryPath, http.StatusTooManyRequests),
		r.net.count(http.MethodGet, byID, http.StatusTooManyRequests), r.net.queryPages()))
}

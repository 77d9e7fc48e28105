package discovery

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
)

var testTemplates = []string{
	"v2.routing.queues.{id}.conversations",
	"v2.analytics.queues.{id}.observations",
	genesys.TopicJobsAvailability, // no {id}: subscribed as is
}

// expected returns the topics testTemplates give for queues.
func expected(queues ...string) []string {
	out := []string{genesys.TopicJobsAvailability}
	for _, q := range queues {
		out = append(out, "v2.routing.queues."+q+".conversations", "v2.analytics.queues."+q+".observations")
	}
	slices.Sort(out)
	return out
}

func sortedKeys(m map[string]time.Time) []string {
	return slices.Sorted(maps.Keys(m))
}

// Listed queues: each template is expanded for each listed queue, the
// id-less one taken as is, all from Run's since; nothing is listed.
func TestListedQueuesExpandTemplatesFromSince(t *testing.T) {
	r := newRig(t, rigConfig{opts: Options{Templates: testTemplates, QueueIDs: []string{"q-1", "q-2", "q-1"}}})
	since := genesystest.T0().Add(-time.Hour)
	r.run(since)
	want := expected("q-1", "q-2")
	r.waitFor("the queue topics subscribed", func() bool { return slices.Equal(sortedKeys(r.rec.wantedSet()), want) })
	for topic, s := range r.rec.wantedSet() {
		if !s.Equal(since) {
			t.Errorf("%s subscribed from %v, want Run's since %v", topic, s, since)
		}
	}
	st := r.d.Stats()
	if st.Queues != 2 || st.QueueTopics != len(want) {
		t.Errorf("stats: %d queues, %d queue topics; want 2, %d", st.Queues, st.QueueTopics, len(want))
	}
	// A refresh period passes: a listed set is never listed.
	r.advance(2 * DefaultRefresh)
	if n := r.listingRequests(); n != 0 {
		t.Errorf("%d queue listing requests with listed queue ids, want none", n)
	}
	if got := sortedKeys(r.rec.wantedSet()); !slices.Equal(got, want) {
		t.Errorf("topics changed to %v", got)
	}
}

// All queues: the listing is read page by page (7 queues, pages of 3);
// a refresh subscribes a queue that appeared, from the start of the
// previous listing, and unsubscribes one that disappeared; nothing changes
// before Refresh has passed.
func TestAllQueuesPagedAndRefreshed(t *testing.T) {
	const refresh = 2 * time.Minute
	r := newRig(t, rigConfig{standin: genesys.Options{Queues: 7}, hidden: []int{6},
		opts: Options{Templates: testTemplates, AllQueues: true, QueueIDs: []string{"ignored"}, QueuePageSize: 3, Refresh: refresh}})
	ids := r.queueIDs()
	since := genesystest.T0().Add(-10 * time.Minute)
	firstListing := r.kit.Clock.Now()
	r.run(since)
	want := expected(ids[:6]...)
	r.waitFor("the first listing's topics", func() bool { return slices.Equal(sortedKeys(r.rec.wantedSet()), want) })
	if n := r.listingRequests(); n != 3 {
		t.Errorf("%d listing requests for 7 queues in pages of 3, want 3", n)
	}
	for topic, s := range r.rec.wantedSet() {
		if !s.Equal(since) {
			t.Errorf("%s subscribed from %v, want Run's since %v", topic, s, since)
		}
	}

	// Queue 6 is created, queue 0 deleted.
	r.proxy.show(ids[6])
	r.proxy.hide(ids[0])
	r.advance(refresh - time.Second)
	if st := r.d.Stats(); st.Listings != 1 || r.listingRequests() != 3 {
		t.Fatalf("listed again before Refresh: %+v", st)
	}
	r.advance(time.Second)
	want = expected(ids[1:]...)
	r.waitFor("the refresh's changes", func() bool { return slices.Equal(sortedKeys(r.rec.wantedSet()), want) })
	for _, topic := range expected(ids[6]) {
		if topic == genesys.TopicJobsAvailability {
			continue
		}
		calls := r.rec.callsOf(topic)
		if len(calls) != 1 || !calls[0].since.Equal(firstListing) {
			t.Errorf("%s: calls %+v, want one subscribe from the first listing's start %v", topic, calls, firstListing)
		}
	}
	for _, topic := range expected(ids[0]) {
		if topic == genesys.TopicJobsAvailability {
			continue
		}
		if calls := r.rec.callsOf(topic); len(calls) != 2 || !calls[1].unsubscribe {
			t.Errorf("%s: calls %+v, want a subscribe then an unsubscribe", topic, calls)
		}
	}
	r.waitFor("the stats", func() bool {
		st := r.d.Stats()
		return st.Listings == 2 && st.QueuesAdded == 1 && st.QueuesRemoved == 1 && st.Queues == 6 && st.QueueTopics == 13
	})

	// The next refresh finds nothing new: no call.
	before := len(r.rec.callList())
	r.advance(refresh)
	r.waitFor("the third listing", func() bool { return r.d.Stats().Listings == 3 })
	if after := len(r.rec.callList()); after != before {
		t.Errorf("an unchanged listing made %d Subscriber calls", after-before)
	}

	// A later listing refused: logged and counted, the queues stay, Run
	// goes on and lists again a Refresh later.
	r.proxy.setRefuse(true)
	r.advance(refresh)
	r.waitFor("the failed listing", func() bool { return r.d.Stats().ListingFailures == 1 })
	r.proxy.setRefuse(false)
	r.advance(refresh)
	r.waitFor("the listing after it", func() bool { return r.d.Stats().Listings == 4 })
	if got := sortedKeys(r.rec.wantedSet()); !slices.Equal(got, want) || len(r.rec.callList()) != before {
		t.Errorf("a failed listing changed the topics to %v", got)
	}
	if !strings.Contains(r.logs.String(), "listing the queues again failed") {
		t.Errorf("the failure is not logged: %s", r.logs.String())
	}
}

// A client that may not list queues: Run ends with the platform's refusal,
// without retrying.
func TestAllQueuesRefusedEndsRun(t *testing.T) {
	cl := genesys.Client{ID: "no-queues", Secret: "s", Permissions: []string{genesys.PermConversationDetailView}}
	r := newRig(t, rigConfig{standin: genesys.Options{Clients: []genesys.Client{cl}}, clientID: cl.ID,
		opts: Options{Templates: testTemplates, AllQueues: true}})
	err := r.d.Run(r.ctx, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("Run: %v, want the 403 of the listing", err)
	}
	if st := r.d.Stats(); st.ListingFailures != 1 || st.Queues != 0 {
		t.Errorf("stats %+v: want one failed listing, no queue", st)
	}
	if err := r.d.Run(r.ctx, time.Time{}); err == nil || errors.Is(err, ErrOptions) {
		t.Errorf("a second Run: %v, want refused", err)
	}
}

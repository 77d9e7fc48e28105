package genesys

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// The ledger answers the question a later end-to-end test asks: for every
// conversation that ended, does the consumer hold all its detail events, or
// a conversation-detail record of it (one with conversationEnd, "filter on
// conversationEnd")? Conversations still going do not count.
func TestCoverage(t *testing.T) {
	f := newFixture(t, Options{AbandonRate: -1, AcceptRecentIntervals: true})
	convs := f.s.AddConversations(t0().Add(time.Minute), 4, 0)
	slices.SortFunc(convs, func(a, b Conversation) int { return a.End.Compare(b.End) })
	byEvents, byDetail, stale, going := convs[0], convs[1], convs[2], convs[3]
	if going.End.Equal(stale.End) {
		t.Fatal("two calls end together; pick another seed")
	}
	detailOf := func(id string) []byte {
		var a struct{ Conversations []json.RawMessage }
		ok(t, f.api(http.MethodPost, detailsPath+"/query", map[string]any{"interval": "2026-11-30T00:00:00Z/2026-11-30T00:01:00Z",
			"conversationFilters": []any{map[string]any{"type": "and", "predicates": []any{
				map[string]any{"dimension": "conversationId", "value": id}}}}}), http.StatusOK).decode(t, &a)
		return a.Conversations[0]
	}
	f.advance(2 * time.Minute)
	staleDetail := detailOf(stale.ID) // fetched while the call was going: no conversationEnd
	f.advance(stale.End.Sub(f.clock.Now()))

	var events [][]byte
	for _, p := range f.s.Published() {
		if p.Conversation == byEvents.ID {
			events = append(events, p.Frame) // whole notifications, snapshots among them
		}
	}
	for _, c := range []Conversation{byDetail, stale} { // a few events only
		events = append(events, pairJSON(c.DetailEvents[0]), pairJSON(c.DetailEvents[2]))
	}
	got := f.s.Coverage(events, [][]byte{detailOf(byDetail.ID), staleDetail, []byte("not json")})
	want := Coverage{Ended: 3, ByEvents: 1, ByDetails: 1, Missing: []string{stale.ID}}
	if got.Ended != want.Ended || got.ByEvents != want.ByEvents || got.ByDetails != want.ByDetails ||
		!slices.Equal(got.Missing, want.Missing) || got.Complete() {
		t.Fatalf("coverage %+v, want %+v", got, want)
	}
	var all [][]byte
	for _, c := range convs {
		for _, p := range c.DetailEvents {
			all = append(all, pairJSON(p))
		}
	}
	if got := f.s.Coverage(all, nil); !got.Complete() || got.ByEvents != 3 {
		t.Fatalf("every event: %+v", got)
	}
}

// The other answers fit their SDK models too: channels, subscriptions,
// errors and system messages.
func TestAnswersFitSDKModels(t *testing.T) {
	f := newFixture(t, Options{})
	r := ok(t, f.api(http.MethodPost, channelsPath, nil), http.StatusOK)
	checkModel(t, r.body, "Channel")
	var ch channelBody
	r.decode(t, &ch)
	checkModel(t, ok(t, f.api(http.MethodGet, channelsPath, nil), http.StatusOK).body, "ChannelEntityListing")
	path := channelsPath + "/" + ch.ID + "/subscriptions"
	checkModel(t, ok(t, f.api(http.MethodPut, path+"?ignoreErrors=true", topicList("v2.bogus", QueueConversationsTopic("q"))),
		http.StatusOK).body, "ChannelTopicEntityListing")
	checkModel(t, ok(t, f.api(http.MethodGet, path, nil), http.StatusOK).body, "ChannelTopicEntityListing")
	for _, r := range []response{
		f.api(http.MethodPut, path, topicList("v2.bogus")),
		f.call("", http.MethodGet, channelsPath, nil),
		f.api(http.MethodGet, channelsPath+"/x/subscriptions", nil),
		f.api(http.MethodPut, path, "[nope"),
	} {
		checkModel(t, r.body, "ErrorBody")
	}
	c := dial(t, ch.ConnectURI)
	if err := f.s.SocketClosing(ch.ID); err != nil {
		t.Fatal(err)
	}
	checkModel(t, c.next().EventBody, "SystemMessageSystemMessage")
	if err := f.s.NoLongerSubscribed(ch.ID); err != nil {
		t.Fatal(err)
	}
	checkModel(t, c.next().EventBody, "SystemMessageSystemMessage")
}

// pairJSON is a detail event as {topicName, eventBody}, as an EventBridge
// detail or a record value might hold it.
func pairJSON(p Pair) []byte {
	return []byte(`{"topicName":"` + p.Topic + `","eventBody":` + string(p.EventBody) + `}`)
}

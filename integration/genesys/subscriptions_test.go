package genesys

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// subsOf GETs a channel's subscription ids.
func (f *fixture) subsOf(token, id string) []string {
	f.t.Helper()
	var l subscriptionsAnswer
	ok(f.t, f.call(token, http.MethodGet, channelsPath+"/"+id+"/subscriptions", nil), http.StatusOK).decode(f.t, &l)
	var out []string
	for _, e := range l.Entities {
		out = append(out, e.ID)
	}
	return out
}

func topicList(topics ...string) []map[string]string {
	out := []map[string]string{}
	for _, t := range topics {
		out = append(out, map[string]string{"id": t})
	}
	return out
}

// "GET|POST|PUT|DELETE /channels/{id}/subscriptions (POST adds, PUT
// replaces; body [{id: topic}])".
func TestSubscriptionsAddReplaceDelete(t *testing.T) {
	f := newFixture(t, Options{})
	id, _ := f.newChannel()
	q := f.s.Queues()
	a, b, c := QueueConversationsTopic(q[0].ID), QueueConversationsTopic(q[1].ID), "v2.detail.events.conversation.c1.acd.end"
	path := channelsPath + "/" + id + "/subscriptions"
	for _, step := range []struct {
		method string
		topics []string
		want   []string
	}{
		{http.MethodPut, []string{a}, []string{a}},
		{http.MethodPost, []string{b, a}, []string{a, b}},
		{http.MethodPut, []string{c}, []string{c}},
		{http.MethodPost, []string{a}, []string{c, a}},
		{http.MethodDelete, nil, nil},
	} {
		var body any
		if step.method != http.MethodDelete {
			body = topicList(step.topics...)
		}
		r := f.api(step.method, path, body)
		if step.method == http.MethodDelete {
			ok(t, r, http.StatusNoContent)
		} else {
			var l subscriptionsAnswer
			ok(t, r, http.StatusOK).decode(t, &l)
			for _, e := range l.Entities {
				if e.State != "Permitted" {
					t.Fatalf("%s %v answered %+v", step.method, step.topics, l.Entities)
				}
			}
		}
		if got := f.subsOf(f.token, id); !slices.Equal(got, step.want) {
			t.Fatalf("after %s %v: %v, want %v", step.method, step.topics, got, step.want)
		}
	}
	ok(t, f.api(http.MethodGet, channelsPath+"/streaming-0-gone/subscriptions", nil), http.StatusNotFound)
}

// "With ignoreErrors=true the answer lists each topic Permitted|Rejected
// with missingPermissions; without it one permission failure is a 403 for
// the whole request"; "notifications need the topics' own permissions (e.g.
// routing:queue:view)".
func TestForbiddenTopics(t *testing.T) {
	f := newFixture(t, Options{Clients: []Client{
		{ID: DefaultClientID, Secret: DefaultClientSecret},
		{ID: "queues-only", Secret: "s", Permissions: []string{PermQueueView}},
	}})
	tok := f.login("queues-only", "s")
	var ch channelBody
	ok(t, f.call(tok, http.MethodPost, channelsPath, nil), http.StatusOK).decode(t, &ch)
	path := channelsPath + "/" + ch.ID + "/subscriptions"
	allowed := QueueConversationsTopic(f.s.Queues()[0].ID)
	forbidden := "v2.detail.events.conversation.c1.customer.start"
	ok(t, f.call(tok, http.MethodPut, path, topicList(allowed)), http.StatusOK)

	for _, tc := range []struct {
		name     string
		query    string
		topics   []string
		status   int
		want     []channelTopic
		keptSubs []string
	}{
		{"only forbidden", "", []string{forbidden}, 403, nil, []string{allowed}},
		{"one forbidden fails all", "", []string{allowed, forbidden}, 403, nil, []string{allowed}},
		{"ignoreErrors lists each", "?ignoreErrors=true", []string{allowed, forbidden}, 200, []channelTopic{
			{ID: allowed, State: "Permitted"},
			{ID: forbidden, State: "Rejected", RejectionReason: "Missing permissions for topic",
				MissingPermissions: []string{PermConversationDetailView}}}, []string{allowed}},
		{"ignoreErrors, all rejected", "?ignoreErrors=true", []string{forbidden}, 200, []channelTopic{
			{ID: forbidden, State: "Rejected", RejectionReason: "Missing permissions for topic",
				MissingPermissions: []string{PermConversationDetailView}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.call(tok, http.MethodPut, path+tc.query, topicList(tc.topics...))
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 403 {
				var e errorBody
				r.decode(t, &e)
				if e.Status != 403 || e.Code != "missing.permissions" || !strings.Contains(e.Message, PermConversationDetailView) {
					t.Fatalf("403 body %s", r.body)
				}
			} else {
				var l subscriptionsAnswer
				r.decode(t, &l)
				if fmt.Sprint(l.Entities) != fmt.Sprint(tc.want) {
					t.Fatalf("entities %+v, want %+v", l.Entities, tc.want)
				}
			}
			if got := f.subsOf(tok, ch.ID); !slices.Equal(got, tc.keptSubs) {
				t.Fatalf("subscriptions %v, want %v", got, tc.keptSubs)
			}
		})
	}
}

// "No analytics or conversation topic can be subscribed org-wide over the
// WebSocket": a topic without a real object id is refused (400), as is one
// the platform does not have.
func TestTopicsNeedAnID(t *testing.T) {
	f := newFixture(t, Options{})
	id, _ := f.newChannel()
	for _, topic := range []string{
		"v2.detail.events.conversation.*.customer.start",
		"v2.detail.events.conversation.{id}.customer.start",
		"v2.routing.queues..conversations",
		"v2.detail.events.conversation.c1.no.such.type",
		"v2.analytics.everything",
	} {
		r := f.api(http.MethodPut, channelsPath+"/"+id+"/subscriptions", topicList(topic))
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", topic, r.status, r.body)
		}
	}
}

// "1,000 topics per socket (400 beyond)"; "combined topics prefix?a&b under
// 200 characters".
func TestTopicLimitAndCombinedTopics(t *testing.T) {
	f := newFixture(t, Options{})
	id, _ := f.newChannel()
	path := channelsPath + "/" + id + "/subscriptions"
	var many []string
	for i := range 998 {
		many = append(many, fmt.Sprintf("v2.detail.events.conversation.c%d.acd.start", i))
	}
	combined := "v2.detail.events.conversation.x?customer.start&customer.end"
	ok(t, f.api(http.MethodPut, path, topicList(append(many, combined)...)), http.StatusOK) // 998 + 2 = 1000
	r := f.api(http.MethodPost, path, topicList("v2.detail.events.conversation.x.acw"))
	if r.status != http.StatusBadRequest {
		t.Fatalf("topic 1001: %d %s, want 400", r.status, r.body)
	}
	if n := len(f.subsOf(f.token, id)); n != 999 {
		t.Fatalf("%d subscriptions after the refused POST, want the 999 ids before it", n)
	}

	// a combined id is answered as given; a rejected part beside it
	ok(t, f.api(http.MethodDelete, path, nil), http.StatusNoContent)
	var l subscriptionsAnswer
	ok(t, f.api(http.MethodPut, path+"?ignoreErrors=true", topicList("v2.detail.events.conversation.x?acw&bogus")),
		http.StatusOK).decode(t, &l)
	if len(l.Entities) != 2 || l.Entities[0].ID != "v2.detail.events.conversation.x?acw&bogus" || l.Entities[0].State != "Permitted" ||
		l.Entities[1].ID != "v2.detail.events.conversation.x.bogus" || l.Entities[1].State != "Rejected" {
		t.Fatalf("combined answer %+v", l.Entities)
	}
	long := "v2.detail.events.conversation.x?acw"
	for len(long) < maxCombinedTopic {
		long += "&acw"
	}
	if r := f.api(http.MethodPut, path, topicList(long)); r.status != http.StatusBadRequest {
		t.Fatalf("combined topic of %d characters: %d, want 400", len(long), r.status)
	}
}

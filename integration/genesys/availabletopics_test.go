package genesys

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// "Genesys says these [detail topics] can be subscribed per conversation
// over WebSocket [C]; a third party says EventBridge only [S]. The real
// answer is the topic's transports in GET
// /api/v2/notifications/availabletopics [U]." The SDKs: the endpoint
// "Requires NO permissions"; expand takes description, enforced, schema,
// visibility, transports, publicApiTemplateUriPaths, requiresPermissions,
// permissionDetails. The stand-in lists what it serves, on every
// transport, each with the permission a subscription to it needs.
func TestAvailableTopics(t *testing.T) {
	f := newFixture(t, Options{Clients: []Client{
		{ID: DefaultClientID, Secret: DefaultClientSecret},
		{ID: "no-permissions", Secret: "s", Permissions: []string{}},
	}})
	bare := f.login("no-permissions", "s")

	var plain availableTopicListing
	r := ok(t, f.call(bare, http.MethodGet, availableTopicsPath, nil), http.StatusOK)
	checkModel(t, r.body, "AvailableTopicEntityListing")
	r.decode(t, &plain)
	for _, e := range plain.Entities {
		if e.Transports != nil || e.RequiresPermissions != nil || e.Description != "" {
			t.Fatalf("not expanded, yet %+v", e)
		}
	}

	var expanded availableTopicListing
	r = ok(t, f.call(bare, http.MethodGet, availableTopicsPath+"?expand=transports&expand=requiresPermissions,description&includePreview=false", nil),
		http.StatusOK)
	checkModel(t, r.body, "AvailableTopicEntityListing")
	r.decode(t, &expanded)
	want := map[string]string{
		"v2.routing.queues.{id}.conversations":              PermQueueView,
		"v2.detail.events.conversation.{id}.customer.start": PermConversationDetailView,
		"v2.detail.events.conversation.{id}.acw":            PermConversationDetailView,
		TopicJobsAvailability:                               PermConversationDetailView,
	}
	for _, e := range expanded.Entities {
		if !slices.Equal(e.Transports, []string{TransportAll}) || len(e.RequiresPermissions) != 1 || e.Description == "" {
			t.Errorf("expanded %+v", e)
		}
		if p, listed := want[e.ID]; listed {
			if e.RequiresPermissions[0] != p {
				t.Errorf("%s requires %v, want %s", e.ID, e.RequiresPermissions, p)
			}
			delete(want, e.ID)
		}
	}
	if len(want) > 0 || len(expanded.Entities) != len(plain.Entities) {
		t.Fatalf("missing %v; %d expanded, %d plain", want, len(expanded.Entities), len(plain.Entities))
	}

	ok(t, f.api(http.MethodGet, availableTopicsPath+"?expand=everything", nil), http.StatusBadRequest)
	ok(t, f.call("", http.MethodGet, availableTopicsPath, nil), http.StatusUnauthorized)
}

// Every topic listed is one a subscription accepts, once its {id} is an
// id: the catalogue and the subscription rules agree.
func TestAvailableTopicsCanBeSubscribed(t *testing.T) {
	for _, e := range topicCatalogue() {
		topic := strings.Replace(e.ID, "{id}", "5e9f0c4a-1b2c-4d3e-8f90-a1b2c3d4e5f6", 1)
		perm, known := topicPermission(topic)
		if !known || !slices.Equal([]string{perm}, e.RequiresPermissions) {
			t.Errorf("%s (as %s): known %v, permission %q, listed with %v", e.ID, topic, known, perm, e.RequiresPermissions)
		}
	}
}

// GET /api/v2/routing/queues takes id, "ID(s)", a list (the SDKs'
// GetRoutingQueues(pageNumber, pageSize, sortOrder, name, id, divisionId),
// "Requires ANY permissions: routing:queue:view"): the listing keeps the
// queues named, and leaves out an id that names none.
func TestQueueListingByID(t *testing.T) {
	f := newFixture(t, Options{Queues: 4})
	q := f.s.Queues()
	for _, tc := range []struct {
		name, query string
		want        []string
		total       int
	}{
		{"repeated", "?id=" + q[2].ID + "&id=" + q[0].ID, []string{q[0].ID, q[2].ID}, 2},
		{"comma-separated", "?id=" + q[1].ID + "," + q[3].ID, []string{q[1].ID, q[3].ID}, 2},
		{"one unknown", "?id=" + q[1].ID + "&id=00000000-0000-0000-0000-000000000000", []string{q[1].ID}, 1},
		{"paged", "?pageSize=1&pageNumber=2&id=" + q[1].ID + "&id=" + q[3].ID, []string{q[3].ID}, 2},
		{"no id: all", "", []string{q[0].ID, q[1].ID, q[2].ID, q[3].ID}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l queueListing
			r := ok(t, f.api(http.MethodGet, queuesPath+tc.query, nil), http.StatusOK)
			checkModel(t, r.body, "QueueEntityListing")
			r.decode(t, &l)
			var got []string
			for _, e := range l.Entities {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, tc.want) || l.Total != tc.total {
				t.Fatalf("ids %v of %d, want %v of %d", got, l.Total, tc.want, tc.total)
			}
		})
	}
}

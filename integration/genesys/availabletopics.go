package genesys

import (
	"net/http"
	"slices"
	"strings"
)

// availableTopicsPath lists the notification topics.
const availableTopicsPath = "/api/v2/notifications/availabletopics"

// Transports an available topic is offered on (platformclientv2
// Availabletopic.transports).
const (
	TransportAll         = "All"
	TransportWebsocket   = "Websocket"
	TransportEventBridge = "EventBridge"
)

// availableTopic is platformclientv2 Availabletopic: the fields the
// stand-in fills. id is always there; the others only when expanded.
type availableTopic struct {
	ID                  string   `json:"id"`
	Description         string   `json:"description,omitempty"`
	RequiresPermissions []string `json:"requiresPermissions,omitempty"`
	Enforced            *bool    `json:"enforced,omitempty"`
	Visibility          string   `json:"visibility,omitempty"`
	Transports          []string `json:"transports,omitempty"`
}

// availableTopicListing is platformclientv2 Availabletopicentitylisting.
type availableTopicListing struct {
	Entities []availableTopic `json:"entities"`
}

// expandable are the expand values GET availabletopics accepts (the SDKs'
// enum); the stand-in fills description, requiresPermissions, enforced,
// visibility and transports, and ignores the others.
var expandable = []string{"description", "enforced", "schema", "visibility", "transports",
	"publicApiTemplateUriPaths", "requiresPermissions", "permissionDetails"}

// topicCatalogue is every topic the stand-in serves, as templates with
// {id} where an object id goes, and the permission each needs
// (topicPermission agrees). All are offered on every transport: the
// stand-in publishes each of them on its sockets.
func topicCatalogue() []availableTopic {
	out := []availableTopic{{ID: "v2.routing.queues.{id}.conversations", Description: "A queue's conversations, whole, on every change",
		RequiresPermissions: []string{PermQueueView}}}
	for _, t := range detailEventTypes {
		out = append(out, availableTopic{ID: "v2.detail.events.conversation.{id}." + t,
			Description: "A conversation's " + t + " detail events", RequiresPermissions: []string{PermConversationDetailView}})
	}
	out = append(out, availableTopic{ID: TopicJobsAvailability, Description: "Details jobs' data availability changes",
		RequiresPermissions: []string{PermConversationDetailView}})
	return out
}

// listAvailableTopics serves GET /api/v2/notifications/availabletopics
// ?expand&includePreview: every topic the stand-in serves, whatever the
// caller's permissions (the endpoint requires none). expand is repeated
// or comma-separated; an unknown value is refused (400).
func (s *Server) listAvailableTopics(w http.ResponseWriter, r *http.Request) {
	expand := map[string]bool{}
	for _, e := range splitValues(r.URL.Query()["expand"]) {
		if !slices.Contains(expandable, e) {
			badRequest(w, "expand %q: want one of %s", e, strings.Join(expandable, ", "))
			return
		}
		expand[e] = true
	}
	if p := r.URL.Query().Get("includePreview"); p != "" && p != "true" && p != "false" {
		badRequest(w, "includePreview %q: want true or false", p)
		return
	}
	enforced := true
	var out availableTopicListing
	for _, t := range topicCatalogue() {
		e := availableTopic{ID: t.ID}
		if expand["description"] {
			e.Description = t.Description
		}
		if expand["requiresPermissions"] {
			e.RequiresPermissions = t.RequiresPermissions
		}
		if expand["enforced"] {
			e.Enforced = &enforced
		}
		if expand["visibility"] {
			e.Visibility = "Public"
		}
		if expand["transports"] {
			e.Transports = []string{TransportAll}
		}
		out.Entities = append(out.Entities, e)
	}
	writeJSON(w, http.StatusOK, out)
}

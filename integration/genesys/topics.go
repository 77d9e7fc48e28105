package genesys

import (
	"fmt"
	"slices"
	"strings"
)

// Topic names the stand-in serves.
const (
	// TopicHeartbeat is the socket's own metadata topic: heartbeats and pongs.
	TopicHeartbeat = "channel.metadata"
	// TopicSocketClosing warns that the socket closes in about a minute.
	TopicSocketClosing = "v2.system.socket_closing"
	// TopicNoLongerSubscribedPrefix, followed by the channel id, says the
	// channel is dead: a new one is needed.
	TopicNoLongerSubscribedPrefix = "v2.system.no_longer_subscribed."
	// TopicSubscriptionsExpiring says the channel's subscriptions expire
	// soon; re-PUT them to keep it.
	TopicSubscriptionsExpiring = "streaming-subscriptions-expiring"
	// TopicJobsAvailability is the details jobs' data availability topic.
	TopicJobsAvailability = "v2.analytics.conversations.details.jobs.availability"
)

// QueueConversationsTopic is the topic of a queue's conversation snapshots.
func QueueConversationsTopic(queueID string) string {
	return "v2.routing.queues." + queueID + ".conversations"
}

// maxCombinedTopic bounds a combined topic "prefix?a&b": it must be shorter.
const maxCombinedTopic = 200

// detailEventTypes are the tails of the conversation detail event topics
// (notificationMappings.json, platform-client-sdk-go 188.0.0).
var detailEventTypes = []string{"acd.start", "acd.end", "acw", "attributes", "contact", "customer.start", "customer.end",
	"flow.start", "flow.end", "flow.outcome", "outbound", "user.start", "user.end",
	"voicemail.start", "voicemail.end", "wrapup"}

// isDetailEventType reports whether t is the tail of a conversation detail
// event topic.
func isDetailEventType(t string) bool { return slices.Contains(detailEventTypes, t) }

// validID reports whether id can be an object id in a topic: no wildcard,
// no template, no dots. Every analytics and conversation topic needs one.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// topicPermission returns the permission an individual topic needs, and
// false for a topic the stand-in does not know (or an org-wide wildcard).
func topicPermission(topic string) (string, bool) {
	if topic == TopicJobsAvailability {
		return PermConversationDetailView, true
	}
	if rest, ok := strings.CutPrefix(topic, "v2.routing.queues."); ok {
		id, tail, _ := strings.Cut(rest, ".")
		return PermQueueView, validID(id) && tail == "conversations"
	}
	if rest, ok := strings.CutPrefix(topic, "v2.detail.events.conversation."); ok {
		id, tail, _ := strings.Cut(rest, ".")
		return PermConversationDetailView, validID(id) && isDetailEventType(tail)
	}
	return "", false
}

// expand returns the individual topics of a subscription id: itself, or for
// a combined "prefix?a&b" the topics prefix.a and prefix.b.
func expand(id string) ([]string, error) {
	prefix, tails, combined := strings.Cut(id, "?")
	if !combined {
		return []string{id}, nil
	}
	if len(id) >= maxCombinedTopic {
		return nil, fmt.Errorf("combined topic %.40q...: must be shorter than %d characters", id, maxCombinedTopic)
	}
	var out []string
	for _, t := range strings.Split(tails, "&") {
		if t == "" || prefix == "" {
			return nil, fmt.Errorf("combined topic %q: empty part", id)
		}
		out = append(out, prefix+"."+t)
	}
	return out, nil
}

// channelTopic is one entity of a subscriptions answer (platformclientv2
// ChannelTopic, with the state fields the API adds for ignoreErrors).
type channelTopic struct {
	ID                 string   `json:"id"`
	State              string   `json:"state,omitempty"`
	RejectionReason    string   `json:"rejectionReason,omitempty"`
	MissingPermissions []string `json:"missingPermissions,omitempty"`
}

// subscription is one subscribed id and the individual topics it holds.
type subscription struct {
	id    string
	parts []string
}

// verdict is the judgement on one requested subscription id.
type verdict struct {
	sub      subscription   // the permitted parts; none when rejected whole
	rejected []channelTopic // rejected parts (or the id itself)
	missing  bool           // some rejection is a missing permission
}

// judge decides what client c may subscribe of id.
func judge(c Client, id string) verdict {
	parts, err := expand(id)
	if err != nil {
		return verdict{rejected: []channelTopic{{ID: id, State: "Rejected", RejectionReason: err.Error()}}}
	}
	v := verdict{sub: subscription{id: id}}
	for _, p := range parts {
		perm, known := topicPermission(p)
		switch {
		case !known:
			v.rejected = append(v.rejected, channelTopic{ID: p, State: "Rejected",
				RejectionReason: "Invalid topic: no such topic, or an object id is missing"})
		case !c.has(perm):
			v.missing = true
			v.rejected = append(v.rejected, channelTopic{ID: p, State: "Rejected",
				RejectionReason: "Missing permissions for topic", MissingPermissions: []string{perm}})
		default:
			v.sub.parts = append(v.sub.parts, p)
		}
	}
	if len(v.sub.parts) == 0 && len(parts) > 1 {
		// nothing of a combined topic is permitted: the combined id is rejected
		var perms []string
		for _, r := range v.rejected {
			perms = append(perms, r.MissingPermissions...)
		}
		slices.Sort(perms)
		v.rejected = []channelTopic{{ID: id, State: "Rejected", RejectionReason: v.rejected[0].RejectionReason,
			MissingPermissions: slices.Compact(perms)}}
	}
	return v
}

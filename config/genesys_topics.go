package config

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// TopicIDPlaceholder stands, in a GENESYS_TOPICS template, for the id of
// each queue of GENESYS_QUEUE_IDS.
const TopicIDPlaceholder = "{id}"

// AllQueues is the GENESYS_QUEUE_IDS value that subscribes every queue of
// the org.
const AllQueues = "all"

// NoDetailEvents is the GENESYS_DETAIL_EVENTS value that follows no
// conversation.
const NoDetailEvents = "none"

// detailEventTypes are the conversation detail event types
// (notificationMappings.json of the platform SDKs).
var detailEventTypes = []string{
	"acd.start", "acd.end", "acw", "attributes", "contact", "customer.start", "customer.end",
	"flow.start", "flow.end", "flow.outcome", "outbound", "user.start", "user.end",
	"voicemail.start", "voicemail.end", "wrapup",
}

// DetailEventTypes returns the detail event types GENESYS_DETAIL_EVENTS
// accepts.
func DetailEventTypes() []string { return slices.Clone(detailEventTypes) }

// topicTemplates parses GENESYS_TOPICS, naming each bad template.
func (v *validator) topicTemplates(value string) []string {
	templates := SplitList(value)
	if len(templates) == 0 {
		v.add("GENESYS_TOPICS", "is required with SOURCE=notifications")
	}
	var out []string
	for _, t := range templates {
		switch rest := strings.Replace(t, TopicIDPlaceholder, "", 1); {
		case !strings.HasPrefix(t, "v2."):
			v.add("GENESYS_TOPICS", fmt.Sprintf("template %q does not start with v2.", t))
		case strings.ContainsAny(t, "?&"):
			v.add("GENESYS_TOPICS", fmt.Sprintf("template %q holds ? or &: combined topics are not used, list each topic", t))
		case strings.IndexFunc(t, unicode.IsSpace) >= 0:
			v.add("GENESYS_TOPICS", fmt.Sprintf("template %q holds white space", t))
		case strings.Contains(rest, TopicIDPlaceholder):
			v.add("GENESYS_TOPICS", fmt.Sprintf("template %q holds %s more than once", t, TopicIDPlaceholder))
		case strings.ContainsAny(rest, "{}"):
			v.add("GENESYS_TOPICS", fmt.Sprintf("template %q holds a brace other than %s", t, TopicIDPlaceholder))
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	return out
}

// queueIDs parses GENESYS_QUEUE_IDS: UUIDs, or all. They are required when
// a template holds {id}, and useless otherwise.
func (v *validator) queueIDs(value string, templates []string) (ids []string, all bool) {
	items := SplitList(value)
	needed := slices.ContainsFunc(templates, func(t string) bool { return strings.Contains(t, TopicIDPlaceholder) })
	switch {
	case len(items) == 0:
		if needed {
			v.add("GENESYS_QUEUE_IDS", fmt.Sprintf("is required: a template of GENESYS_TOPICS holds %s (list queue ids, or all)", TopicIDPlaceholder))
		}
		return nil, false
	case !needed && len(templates) > 0:
		v.add("GENESYS_QUEUE_IDS", fmt.Sprintf("is set but no template of GENESYS_TOPICS holds %s", TopicIDPlaceholder))
	}
	if slices.ContainsFunc(items, func(s string) bool { return strings.EqualFold(s, AllQueues) }) {
		if len(items) > 1 {
			v.add("GENESYS_QUEUE_IDS", fmt.Sprintf("%s stands alone, without queue ids", AllQueues))
		}
		return nil, true
	}
	for _, id := range items {
		switch {
		case !isUUID(id):
			v.add("GENESYS_QUEUE_IDS", fmt.Sprintf("%q is not a queue id (a UUID such as 2a8a1ab4-6e2b-4d5e-9c4f-0d1c2b3a4f5e) nor %s", id, AllQueues))
		case !slices.Contains(ids, id):
			ids = append(ids, id)
		}
	}
	return ids, false
}

// isUUID reports whether s is 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// detailTypes parses GENESYS_DETAIL_EVENTS: known types, or none.
func (v *validator) detailTypes(value string) []string {
	items := SplitList(value)
	if len(items) == 0 {
		v.add("GENESYS_DETAIL_EVENTS", fmt.Sprintf("is required with SOURCE=notifications (detail event types, or %s)", NoDetailEvents))
		return nil
	}
	if slices.ContainsFunc(items, func(s string) bool { return strings.EqualFold(s, NoDetailEvents) }) {
		if len(items) > 1 {
			v.add("GENESYS_DETAIL_EVENTS", fmt.Sprintf("%s stands alone, without event types", NoDetailEvents))
		}
		return nil
	}
	var out []string
	for _, t := range items {
		t = strings.ToLower(t)
		switch {
		case !slices.Contains(detailEventTypes, t):
			v.add("GENESYS_DETAIL_EVENTS", fmt.Sprintf("%q is not a detail event type (%s), nor %s", t, strings.Join(detailEventTypes, ", "), NoDetailEvents))
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	return out
}

// topicCapacity checks that the queue topics and the followed
// conversations' detail topics fit the channels. With all queues their
// number is known only at run time, so only the detail topics are
// counted.
func (v *validator) topicCapacity(n Notifications) {
	if n.MaxChannels < 1 || n.MaxChannels > genesysMaxChannels {
		return // already reported
	}
	capacity := n.MaxChannels * genesysTopicsPerChannel
	queueTopics := 0
	for _, t := range n.Topics {
		if !strings.Contains(t, TopicIDPlaceholder) {
			queueTopics++
		} else if !n.AllQueues {
			queueTopics += len(n.QueueIDs)
		}
	}
	if queueTopics > capacity {
		v.add("GENESYS_QUEUE_IDS", fmt.Sprintf("%d queue topics are more than GENESYS_MAX_CHANNELS x %d = %d topics",
			queueTopics, genesysTopicsPerChannel, capacity))
		return
	}
	perConversation := len(n.DetailTypes)
	if perConversation == 0 || n.MaxFollowed < 1 {
		return
	}
	if need := queueTopics + n.MaxFollowed*perConversation; need > capacity {
		v.add("GENESYS_MAX_FOLLOWED", fmt.Sprintf("%d conversations x %d detail event types and %d queue topics need %d topics, more than GENESYS_MAX_CHANNELS x %d = %d; at most %d conversations fit",
			n.MaxFollowed, perConversation, queueTopics, need, genesysTopicsPerChannel, capacity, (capacity-queueTopics)/perConversation))
	}
}

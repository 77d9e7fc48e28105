package discovery

import (
	"fmt"
	"strings"
)

// Topic shapes.
const (
	idPlaceholder      = "{id}"
	queuesPrefix       = "v2.routing.queues."
	snapshotTail       = "conversations"
	detailEventsPrefix = "v2.detail.events.conversation."
)

// template is a parsed topic template: prefix + queue id + suffix, or, when
// not perQueue, prefix alone.
type template struct {
	prefix, suffix string
	perQueue       bool
}

// checkTemplate reports what is wrong with a topic template, naming it.
func checkTemplate(t string) error {
	switch {
	case !strings.HasPrefix(t, "v2."):
		return fmt.Errorf("template %q: must start with \"v2.\"", t)
	case strings.Count(t, idPlaceholder) > 1:
		return fmt.Errorf("template %q: at most one %s", t, idPlaceholder)
	case strings.ContainsAny(t, "?&"):
		return fmt.Errorf("template %q: combined topics (prefix?a&b) are not used; give each topic on its own", t)
	case strings.ContainsAny(t, " \t\r\n"):
		return fmt.Errorf("template %q: no spaces", t)
	case strings.ContainsAny(strings.Replace(t, idPlaceholder, "", 1), "{}"):
		return fmt.Errorf("template %q: the only placeholder is %s", t, idPlaceholder)
	case strings.Contains(t, "..") || strings.HasSuffix(t, "."):
		return fmt.Errorf("template %q: empty topic segment", t)
	}
	return nil
}

// parseTemplate splits a checked template at its {id}.
func parseTemplate(t string) template {
	prefix, suffix, ok := strings.Cut(t, idPlaceholder)
	return template{prefix: prefix, suffix: suffix, perQueue: ok}
}

// expand is the template's topic for queue id (the template itself when
// it is not per queue).
func (t template) expand(id string) string {
	if !t.perQueue {
		return t.prefix
	}
	return t.prefix + id + t.suffix
}

// queueTopics are the per-queue topics of queue id.
func (d *Discovery) queueTopics(id string) []string {
	var out []string
	for _, t := range d.templates {
		if t.perQueue {
			out = append(out, t.expand(id))
		}
	}
	return out
}

// queueOfSnapshotTopic returns the queue id of a queue conversation
// snapshot topic: v2.routing.queues.{id}.conversations, or one of its
// media variants (.calls, .chats, .callbacks, .emails, .messages, ...).
func queueOfSnapshotTopic(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, queuesPrefix)
	if !ok {
		return "", false
	}
	id, tail, _ := strings.Cut(rest, ".")
	if !validID(id) {
		return "", false
	}
	if tail == snapshotTail {
		return id, true
	}
	media, ok := strings.CutPrefix(tail, snapshotTail+".")
	if !ok || media == "" || strings.Contains(media, ".") {
		return "", false
	}
	return id, true
}

// detailTopics are the detail-event topics of conversation id.
func (d *Discovery) detailTopics(id string) []string {
	out := make([]string, len(d.opts.DetailTypes))
	for i, t := range d.opts.DetailTypes {
		out[i] = detailEventsPrefix + id + "." + t
	}
	return out
}

// ConversationOfTopic returns the conversation id of a
// v2.detail.events.conversation.{id}.{type} topic.
func ConversationOfTopic(topic string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(topic, detailEventsPrefix)
	if !ok {
		return "", false
	}
	id, tail, _ := strings.Cut(rest, ".")
	if !validID(id) || !validDetailType(tail) {
		return "", false
	}
	return id, true
}

// validID reports whether id can stand for an object id in a topic: not
// empty, letters, digits, '-' and '_' only (no dots, no wildcards).
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

// validDetailType reports whether t can be a detail topic's tail: one or
// more segments such as customer.start, each a valid id.
func validDetailType(t string) bool {
	for _, seg := range strings.Split(t, ".") {
		if !validID(seg) {
			return false
		}
	}
	return true
}

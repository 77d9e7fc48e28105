package discovery

import "testing"

func TestConversationOfTopic(t *testing.T) {
	for _, tc := range []struct {
		topic, id string
		ok        bool
	}{
		{"v2.detail.events.conversation.4a1c-9b_2.customer.start", "4a1c-9b_2", true},
		{"v2.detail.events.conversation.c1.acw", "c1", true},
		{"v2.detail.events.conversation.c1.user.end", "c1", true},
		{"v2.detail.events.conversation.c1", "", false},              // no type
		{"v2.detail.events.conversation.c1.", "", false},             // empty type
		{"v2.detail.events.conversation..acw", "", false},            // no id
		{"v2.detail.events.conversation.c1.user..end", "", false},    // empty segment
		{"v2.detail.events.conversation.{id}.acw", "", false},        // a template, not a topic
		{"v2.detail.events.conversation.c1?acw&user.end", "", false}, // combined
		{"v2.detail.events.agent.u1.state", "", false},
		{"v2.routing.queues.q1.conversations", "", false},
		{"", "", false},
	} {
		id, ok := ConversationOfTopic(tc.topic)
		if id != tc.id || ok != tc.ok {
			t.Errorf("ConversationOfTopic(%q) = %q, %v; want %q, %v", tc.topic, id, ok, tc.id, tc.ok)
		}
	}
}

func TestQueueOfSnapshotTopic(t *testing.T) {
	for _, tc := range []struct {
		topic, queue string
		ok           bool
	}{
		{"v2.routing.queues.q1.conversations", "q1", true},
		{"v2.routing.queues.q1.conversations.calls", "q1", true},
		{"v2.routing.queues.q1.conversations.cobrowseSessions", "q1", true},
		{"v2.routing.queues.q1.conversations.", "", false},
		{"v2.routing.queues.q1.conversations.calls.x", "", false},
		{"v2.routing.queues.q1.conversationsx", "", false},
		{"v2.routing.queues.q1.users", "", false},
		{"v2.routing.queues..conversations", "", false},
		{"v2.analytics.queues.q1.observations", "", false},
	} {
		q, ok := queueOfSnapshotTopic(tc.topic)
		if q != tc.queue || ok != tc.ok {
			t.Errorf("queueOfSnapshotTopic(%q) = %q, %v; want %q, %v", tc.topic, q, ok, tc.queue, tc.ok)
		}
	}
}

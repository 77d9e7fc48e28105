package socket

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, frame string
		kind        Kind
		topic, body string
		eventTime   time.Time
	}{
		{"detail event", `{"topicName":"v2.detail.events.conversation.c1.customer.start","version":"2","eventBody":{"eventTime":1795860930123,"conversationId":"c1"},"metadata":{"CorrelationId":"x"}}`,
			KindEvent, "v2.detail.events.conversation.c1.customer.start", `{"eventTime":1795860930123,"conversationId":"c1"}`, time.UnixMilli(1795860930123).UTC()},
		{"queue snapshot without eventTime", `{"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"c1","participants":[]}}`,
			KindEvent, "v2.routing.queues.q1.conversations", `{"id":"c1","participants":[]}`, time.Time{}},
		{"eventTime as RFC 3339", `{"topicName":"t","eventBody":{"eventTime":"2026-11-30T10:00:01.5Z"}}`,
			KindEvent, "t", `{"eventTime":"2026-11-30T10:00:01.5Z"}`, at.Add(1500 * time.Millisecond)},
		{"heartbeat", `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`, KindHeartbeat, "channel.metadata", `{"message":"WebSocket Heartbeat"}`, time.Time{}},
		{"pong", `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`, KindHeartbeat, "channel.metadata", `{"message":"pong"}`, time.Time{}},
		{"socket_closing", `{"topicName":"v2.system.socket_closing","eventBody":{"systemTopicType":"socket_closing"}}`, KindSocketClosing, "v2.system.socket_closing", `{"systemTopicType":"socket_closing"}`, time.Time{}},
		{"no_longer_subscribed", `{"topicName":"v2.system.no_longer_subscribed.streaming-0-abc","eventBody":{}}`, KindNoLongerSubscribed, "v2.system.no_longer_subscribed.streaming-0-abc", `{}`, time.Time{}},
		{"no_longer_subscribed by its type", `{"topicName":"v2.system.other","eventBody":{"systemTopicType":"no_longer_subscribed"}}`, KindNoLongerSubscribed, "v2.system.other", `{"systemTopicType":"no_longer_subscribed"}`, time.Time{}},
		{"duplicate_id", `{"topicName":"v2.system.duplicate_id","eventBody":{}}`, KindDuplicateID, "v2.system.duplicate_id", `{}`, time.Time{}},
		{"duplicate_id by its type", `{"topicName":"v2.system.x","eventBody":{"systemTopicType":"duplicate_id"}}`, KindDuplicateID, "v2.system.x", `{"systemTopicType":"duplicate_id"}`, time.Time{}},
		{"another system message", `{"topicName":"v2.system.token_revoked","eventBody":{}}`, KindSystem, "v2.system.token_revoked", `{}`, time.Time{}},
		{"subscriptions expiring", `{"topicName":"streaming-subscriptions-expiring","eventBody":{"expiring":60}}`, KindExpiring, "streaming-subscriptions-expiring", `{"expiring":60}`, time.Time{}},
		{"not JSON", `{"topicName":`, KindMalformed, "", "", time.Time{}},
		{"an array", `[{"topicName":"t","eventBody":{}}]`, KindMalformed, "", "", time.Time{}},
		{"no topicName", `{"eventBody":{}}`, KindMalformed, "", "", time.Time{}},
		{"no eventBody", `{"topicName":"t"}`, KindMalformed, "t", "", time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			frame := []byte(c.frame)
			m := Parse(frame, at)
			if m.Kind != c.kind || m.Topic != c.topic || string(m.EventBody) != c.body || !m.EventTime.Equal(c.eventTime) {
				t.Errorf("Parse = kind %s topic %q body %q time %v; want %s %q %q %v", m.Kind, m.Topic, m.EventBody, m.EventTime, c.kind, c.topic, c.body, c.eventTime)
			}
			if m.Kind == KindMalformed && m.Problem == "" {
				t.Error("a malformed frame without its problem")
			}
			if !m.Received.Equal(at) || &m.Frame[0] != &frame[0] {
				t.Error("Received or Frame not as given")
			}
			if len(m.EventBody) > 0 && !within(frame, m.EventBody) || len(m.TopicName) > 0 && !within(frame, m.TopicName) {
				t.Error("EventBody or TopicName is a copy, want a window on the frame")
			}
		})
	}
}

// within reports whether w is a window on b's memory.
func within(b, w []byte) bool {
	for i := range b {
		if &b[i] == &w[0] {
			return i+len(w) <= len(b)
		}
	}
	return false
}

package feed

import (
	"time"

	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/backfill"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
)

// KindConversationDetail is the bridge-record-kind of a back-filled
// conversation: the analytics API's conversation detail, as served.
const KindConversationDetail = "conversation-detail"

// Record headers of this source, beside the bridge's.
const (
	// HeaderTopic is the notification's topicName.
	HeaderTopic = "genesys-topic"
	// HeaderChannel is the id of the channel it came on.
	HeaderChannel = "genesys-channel"
	// HeaderConversationID is the conversation a record is about.
	HeaderConversationID = "genesys-conversation-id"
	// HeaderBackfill says why a conversation-detail record was written:
	// "gap" (events of an interval may have been missed), "followed" (its
	// detail topics were subscribed after it began, or not at all) or
	// "max-wait" (it had not ended within GENESYS_BACKFILL_MAX_WAIT and is
	// written as it stands).
	HeaderBackfill = "genesys-backfill"
)

// conversationKey is the record key of everything about one conversation:
// its detail events, its queue snapshots and its conversation-detail
// records land on one partition, in the order written.
func conversationKey(id string) []byte { return []byte("gcconv:" + id) }

// liveEvent is the record of a notification read on a socket: the frame as
// read, keyed by its conversation when it has one (else by its topic, so
// that one topic's events stay in order).
func liveEvent(ev *notifications.Event, conversation string) *source.Event {
	t := ev.EventTime
	if t.IsZero() {
		t = ev.Received // queue snapshots carry no event time
	}
	key := []byte(ev.Topic)
	headers := []source.Header{{Key: HeaderTopic, Value: []byte(ev.Topic)}, {Key: HeaderChannel, Value: []byte(ev.Channel)}}
	if conversation == "" {
		conversation, _ = discovery.ConversationOfTopic(ev.Topic)
	}
	if conversation != "" {
		key = conversationKey(conversation)
		headers = append(headers, source.Header{Key: HeaderConversationID, Value: []byte(conversation)})
	}
	// A copy read twice comes back within a handover's drain: its key is
	// kept by when it was read, on the client's clock.
	return &source.Event{Raw: ev.Frame, Time: t.UTC(), DedupKey: ev.DedupKey, Key: key, Arrived: ev.Received,
		KeyTime: ev.Received.UTC(), Headers: headers}
}

// detailRecord is the record of a back-filled conversation. Its time is the
// conversation's end (its start while it has none); its key is kept by
// when it was fetched, which a restart that fetches it again comes after.
func detailRecord(c backfill.Conversation, why string, fetched time.Time) *source.Event {
	t := c.End
	if t.IsZero() {
		t = c.Start
	}
	return &source.Event{Raw: c.Raw, Time: t.UTC(), DedupKey: c.DedupKey(), Key: conversationKey(c.ID),
		Kind: KindConversationDetail, Arrived: fetched, KeyTime: fetched.UTC(),
		Headers: []source.Header{{Key: HeaderConversationID, Value: []byte(c.ID)}, {Key: HeaderBackfill, Value: []byte(why)}}}
}

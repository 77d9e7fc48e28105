package socket

import (
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Kind is what a socket message is.
type Kind int

const (
	// KindEvent is a notification of a subscribed topic: an event.
	KindEvent Kind = iota
	// KindHeartbeat is channel.metadata: the ~30 s heartbeat, or the pong
	// to a client ping. The socket's watchdog consumes it; Run never
	// delivers it.
	KindHeartbeat
	// KindSocketClosing is v2.system.socket_closing: the socket closes in
	// about a minute; connect a new one first.
	KindSocketClosing
	// KindNoLongerSubscribed is v2.system.no_longer_subscribed.{channel}:
	// the channel is dead.
	KindNoLongerSubscribed
	// KindDuplicateID says another connection took the channel's id: the
	// channel must be replaced.
	KindDuplicateID
	// KindExpiring is streaming-subscriptions-expiring: re-subscribe now
	// or lose the channel.
	KindExpiring
	// KindSystem is any other v2.system message: logged, never an event.
	KindSystem
	// KindMalformed is a frame that is not a notification.
	KindMalformed
)

// Topic names of the socket's control messages.
const (
	topicMetadata        = "channel.metadata"
	topicExpiring        = "streaming-subscriptions-expiring"
	systemPrefix         = "v2.system."
	topicSocketClosing   = "v2.system.socket_closing"
	topicNoLongerSubPref = "v2.system.no_longer_subscribed"
	topicDuplicateIDPref = "v2.system.duplicate_id"
)

var kindNames = [...]string{"event", "heartbeat", "socket_closing", "no_longer_subscribed", "duplicate_id",
	"subscriptions_expiring", "system", "malformed"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Message is one socket message. Frame is the message's own bytes, as
// read; TopicName and EventBody are windows on it, never copies.
type Message struct {
	Kind  Kind
	Topic string // topicName, decoded; "" when malformed
	Frame []byte
	// TopicName is the raw JSON string of topicName (quotes included);
	// EventBody the raw JSON of eventBody. Both are windows on Frame.
	TopicName, EventBody []byte
	// EventTime is eventBody.eventTime (epoch milliseconds, as detail
	// events carry it; an RFC 3339 string is taken too); zero when absent.
	EventTime time.Time
	// Received is when the message was read, on the socket's clock.
	Received time.Time
	// Problem says why a KindMalformed frame is not a notification.
	Problem string
}

// Parse classifies one frame read at received.
func Parse(frame []byte, received time.Time) Message {
	m := Message{Frame: frame, Received: received, Kind: KindMalformed}
	if !gjson.ValidBytes(frame) {
		m.Problem = "frame is not JSON"
		return m
	}
	root := gjson.ParseBytes(frame)
	if !root.IsObject() {
		m.Problem = "frame is not a JSON object"
		return m
	}
	f := gjson.GetManyBytes(frame, "topicName", "eventBody", "eventBody.eventTime", "eventBody.systemTopicType")
	topic, body, eventTime, systemType := f[0], f[1], f[2], f[3]
	if topic.Type != gjson.String || topic.Str == "" {
		m.Problem = "frame has no topicName"
		return m
	}
	m.Topic = topic.Str
	m.TopicName = window(frame, topic)
	if body.Exists() {
		m.EventBody = window(frame, body)
	}
	switch {
	case m.Topic == topicMetadata:
		m.Kind = KindHeartbeat
	case m.Topic == topicExpiring:
		m.Kind = KindExpiring
	case strings.HasPrefix(m.Topic, systemPrefix):
		m.Kind = systemKind(m.Topic, systemType.Str)
	case !body.Exists():
		m.Problem = "notification has no eventBody"
	default:
		m.Kind = KindEvent
		m.EventTime = eventTimeOf(eventTime)
	}
	return m
}

// systemKind tells the v2.system messages apart by topic, or by the body's
// systemTopicType.
func systemKind(topic, systemType string) Kind {
	switch {
	case topic == topicSocketClosing || systemType == "socket_closing":
		return KindSocketClosing
	case strings.HasPrefix(topic, topicNoLongerSubPref) || systemType == "no_longer_subscribed":
		return KindNoLongerSubscribed
	case strings.HasPrefix(topic, topicDuplicateIDPref) || systemType == "duplicate_id":
		return KindDuplicateID
	}
	return KindSystem
}

func eventTimeOf(r gjson.Result) time.Time {
	switch r.Type {
	case gjson.Number:
		if ms, err := strconv.ParseInt(r.Raw, 10, 64); err == nil && ms > 0 {
			return time.UnixMilli(ms).UTC()
		}
	case gjson.String:
		if t, err := time.Parse(time.RFC3339Nano, r.Str); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// window is the bytes of r within doc, not a copy.
func window(doc []byte, r gjson.Result) []byte {
	if r.Index > 0 && r.Index+len(r.Raw) <= len(doc) {
		return doc[r.Index : r.Index+len(r.Raw) : r.Index+len(r.Raw)]
	}
	return []byte(r.Raw)
}

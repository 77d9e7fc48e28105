package notifications

import (
	"context"
	"time"
)

// Handler receives what the channels read. Run calls it from its own
// goroutine only, one call at a time, so a Handler may call a
// source.Output directly; while a call blocks, the channels' readers
// wait (and, past Options.Inbox messages, stop reading their sockets: the
// platform then drops them, and the loss is reported as a Gap). An error
// from Event, Gap or Malformed ends Run with it.
type Handler interface {
	// Event is one notification of a subscribed topic.
	Event(ctx context.Context, ev *Event) error
	// Gap is an interval in which events of some topics may have been
	// missed: they must be fetched another way (the analytics APIs).
	Gap(ctx context.Context, g Gap) error
	// Malformed is a frame that is not a notification (for a dead-letter
	// topic).
	Malformed(ctx context.Context, m Malformed) error
	// Status is called when the connection state or the topic budget
	// changes. It must not block.
	Status(s Status)
}

// Event is one notification.
type Event struct {
	// Topic is topicName.
	Topic string
	// Frame is the socket message as read, {topicName, version,
	// eventBody, metadata}: the event's own bytes, never re-encoded.
	// EventBody is a window on it.
	Frame, EventBody []byte
	// EventTime is eventBody.eventTime (epoch ms in detail events); zero
	// when the topic's bodies have none (queue conversation snapshots).
	EventTime time.Time
	// Received is when it was read, on the client's clock.
	Received time.Time
	// DedupKey is the content key of {topicName, eventBody}
	// (contentkey.Pair): the same event read twice (on two sockets during
	// a handover, or from EventBridge by the sqs source) has the same key.
	DedupKey string
	// Channel is the id of the channel it came on.
	Channel string
}

// Gap is an interval [From, To) in which events of Topics may have been
// missed: no socket was reading them, their channel was replaced, or they
// were subscribed later than wanted.
//
// Both ends are on the client's clock, in whole milliseconds (the
// resolution of eventTime): From is when the topics were last known to be
// read (the receipt of a socket's last frame, or the since they were
// wanted from); To is one millisecond past when they were known to be read
// again (the socket connected, or the subscription answered), so that an
// event of that very millisecond, published before, is inside. Events are
// stamped by the platform before they are published, and published
// seconds later: a back-fill should widen the interval by that latency.
type Gap struct {
	From, To time.Time
	Topics   []string // sorted
	Reason   string
}

// Malformed is a frame that is not a notification.
type Malformed struct {
	Frame    []byte
	Problem  string
	Received time.Time
	Channel  string
}

// Status is the client's state.
type Status struct {
	// Connected: every channel with topics has a connected socket.
	Connected bool
	Budget    Budget
}

// Budget is how the wanted topics fit the platform's limits: at most
// TopicsPerChannel topics on a channel, at most MaxChannels channels.
type Budget struct {
	// Wanted is the topics wanted (rejected ones are dropped).
	Wanted int
	// Placed of them are assigned to a channel; Unplaced did not fit
	// (Wanted = Placed + Unplaced): they stay wanted, with the since they
	// were wanted from, until room is made.
	Placed, Unplaced int
	// Subscribed is the topics the platform has accepted on a channel.
	Subscribed int
	// Rejected is the topics the platform refused (missing permissions,
	// unknown topics), since Run started.
	Rejected int
	// Channels is the channels in use; Connected of them have a socket.
	Channels, Connected int
	// MaxChannels and TopicsPerChannel are the limits (Options).
	MaxChannels, TopicsPerChannel int
}

// Capacity is how many topics the limits allow.
func (b Budget) Capacity() int { return b.MaxChannels * b.TopicsPerChannel }

package source

import (
	"time"
)

// Record kinds: the bridge-record-kind header of every record the bridge
// writes. Sources that write other kinds add theirs beside these.
const (
	KindEvent      = "event"
	KindGap        = "gap"
	KindDeadLetter = "dead-letter"
)

// Event is one upstream event, to become one record of KAFKA_TOPIC.
type Event struct {
	// Raw is the event exactly as read: the record value, never re-encoded.
	// It may be a window on Buffer.
	Raw []byte
	// Time is the event time, UTC.
	Time time.Time
	// DedupKey identifies the event across replays and redeliveries: an
	// id the upstream gives it, or a hash of its content (package
	// contentkey). It is kept in memory: it must not be a window on Raw.
	DedupKey string
	// Key is the record key, which also picks the partition; nil for the
	// dedup key. It is only read.
	Key []byte
	// Kind is the bridge-record-kind header; "" for KindEvent.
	Kind string
	// Arrived is when it was read; zero for now. (A source reading many
	// events at once reads the clock once for all.)
	Arrived time.Time
	// KeyTime is the time the dedup window keeps DedupKey by, on the clock
	// Stream.Horizon speaks; zero for Time. A source whose copies come back
	// within a span of when they were read rather than of their event time
	// (a queue redelivering a message days after the event) sets it to when
	// it read the event; the record then carries it in bridge-key-time, so
	// that the window is rebuilt by the same clock.
	KeyTime time.Time
	// Headers are the source's own record headers, written after the
	// bridge's; their keys must not start with "bridge-". Only read.
	Headers []Header
	// Buffer is what Raw is a window on, if it is shared (a pooled frame):
	// each record holds it until it is encoded. Nil when Raw is the
	// event's own.
	Buffer Buffer
	// Ack, when set, is told (with AckID) once the record is committed:
	// for a source that acknowledges upstream. A duplicate that is dropped
	// is acknowledged too, in arrival order, never before the copy that
	// was written.
	Ack   Acker
	AckID uint64
}

// DeadLetter is something read that cannot be delivered as an event.
type DeadLetter struct {
	// Raw is the bytes as read (cut to fit when too large). It may be a
	// window on Buffer.
	Raw []byte
	// Reason says why, in one line (the bridge-error header).
	Reason string
	// Time is the event time when it is known; zero otherwise (the latest
	// event time read before it stands in: the stream's clock, not the wall
	// clock a stream catching up is far behind).
	Time time.Time
	// DedupKey identifies it across replays, so that it is dead-lettered
	// once; "" for the hash of Raw.
	DedupKey string
	// KeyTime is as Event.KeyTime; zero for Time (or its stand-in).
	KeyTime time.Time
	Buffer  Buffer
	Ack     Acker
	AckID   uint64
}

// Header is a record header a source adds to an event's record.
type Header struct {
	Key   string
	Value []byte
}

// Gap is an interval whose events the upstream can no longer deliver.
type Gap struct {
	From, To time.Time
	Reason   string
}

// Buffer is a shared buffer records are windows on: each record holds it
// until it is encoded, then releases it.
type Buffer interface {
	Hold()
	Release()
}

// Acker learns which records were committed to Kafka for good: with
// transactions, once the transaction holding them committed; without,
// once Kafka acknowledged them. Calls come from one goroutine, in arrival
// order, and must not block for long.
type Acker interface {
	Committed(id uint64)
}

package goconsumer

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The bridge's record contract, as a consumer of KAFKA_TOPIC needs it (the
// README's "Consuming the topic").
const (
	HeaderKind      = "bridge-record-kind"
	HeaderDedupKey  = "bridge-dedup-key"
	HeaderEventTime = "bridge-event-time"
	HeaderName      = "bridge-name"
	// HeaderGap is kept on gap markers for consumers written before
	// bridge-record-kind.
	HeaderGap = "bridge-gap"

	KindEvent      = "event"
	KindGap        = "gap"
	KindDeadLetter = "dead-letter"
)

// header returns the last value of header name and whether r has it.
func header(r *kgo.Record, name string) (string, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == name {
			return string(r.Headers[i].Value), true
		}
	}
	return "", false
}

// KindOf is r's bridge-record-kind. A record written before that header
// existed is an event, unless it is a gap marker (bridge-gap: true).
func KindOf(r *kgo.Record) string {
	if k, ok := header(r, HeaderKind); ok {
		return k
	}
	if g, _ := header(r, HeaderGap); g == "true" {
		return KindGap
	}
	return KindEvent
}

// Event is an event record: Value is the event's bytes exactly as the
// upstream sent them.
type Event struct {
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	DedupKey  string    // bridge-dedup-key
	Time      time.Time // bridge-event-time
	Bridge    string    // bridge-name
	Record    *kgo.Record
}

// eventOf reads the event headers of r, an event record.
func eventOf(r *kgo.Record) (Event, error) {
	ev := Event{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Record: r}
	ev.Bridge, _ = header(r, HeaderName)
	var ok bool
	if ev.DedupKey, ok = header(r, HeaderDedupKey); !ok || ev.DedupKey == "" {
		return ev, fmt.Errorf("event record at %s[%d]@%d has no %s", r.Topic, r.Partition, r.Offset, HeaderDedupKey)
	}
	t, _ := header(r, HeaderEventTime)
	var err error
	if ev.Time, err = time.Parse(time.RFC3339Nano, t); err != nil {
		return ev, fmt.Errorf("event record at %s[%d]@%d: %s: %w", r.Topic, r.Partition, r.Offset, HeaderEventTime, err)
	}
	return ev, nil
}

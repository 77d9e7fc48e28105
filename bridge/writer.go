package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unsafe"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// Record headers the bridge writes. Stream processors tell records apart by
// HeaderRecordKind and deduplicate on HeaderDedupKey; the bridge itself
// reads them back when it scans the tails of its outputs.
const (
	HeaderRecordKind = "bridge-record-kind"
	HeaderDedupKey   = "bridge-dedup-key"
	HeaderEventTime  = "bridge-event-time"
	HeaderBridge     = "bridge-name"
	HeaderGap        = "bridge-gap"
	HeaderError      = "bridge-error"
	HeaderReceivedAt = "bridge-received-at"
	HeaderKeyTime    = "bridge-key-time"
)

// writer is the core's source.Output for one epoch: it turns what the
// source read into records, drops what the dedup window holds, registers
// each record with the tracker and queues it.
type writer struct {
	b     *Bridge
	tr    *tracker
	prod  queue
	parts map[string]int

	balancer   kafka.Murmur2Balancer
	outParts   []int  // 0..n-1 for the output topic
	dlqParts   []int  // 0..n-1 for the dead-letter topic
	bridgeName []byte // header value, shared by every record
	kinds      map[string][]byte
	// reason is the last dead letter's reason header: rejects of a frame
	// mostly share their reason, and then one copy serves them all.
	reason struct {
		text  string
		value []byte
	}
}

// queue is where the writer puts records: the producer, which writes them
// and acknowledges each to the tracker.
type queue interface {
	Send(ctx context.Context, r *sink.Record) error
}

func newWriter(b *Bridge, tr *tracker, prod queue, parts map[string]int) *writer {
	w := &writer{b: b, tr: tr, prod: prod, parts: parts, bridgeName: []byte(b.cfg.BridgeName), kinds: map[string][]byte{}}
	for p := 0; p < parts[b.cfg.KafkaTopic]; p++ {
		w.outParts = append(w.outParts, p)
	}
	for p := 0; p < parts[b.cfg.KafkaDLQTopic]; p++ {
		w.dlqParts = append(w.dlqParts, p)
	}
	return w
}

var kindEvent = []byte(source.KindEvent)

// kind returns the header value of a record kind, shared by its records.
func (w *writer) kind(k string) []byte {
	if k == "" || k == source.KindEvent {
		return kindEvent
	}
	v, ok := w.kinds[k]
	if !ok {
		v = []byte(k)
		w.kinds[k] = v
	}
	return v
}

// Event writes ev, unless the dedup window says it was delivered already.
func (w *writer) Event(ctx context.Context, ev *source.Event) error {
	m := w.b.metrics
	m.eventsReceived.Inc()
	w.b.fresh.received(ev.Time)
	if w.tr.seen(ev.DedupKey) {
		w.tr.duplicate(ev.Time, ev.Ack, ev.AckID)
		m.duplicates.Inc()
		return nil
	}
	key := ev.Key
	if key == nil {
		key = readOnlyBytes(ev.DedupKey)
	}
	r := &sink.Record{Topic: w.b.cfg.KafkaTopic, Partition: w.partitionOf(key, w.outParts), Key: key, Value: ev.Raw, Time: ev.Time}
	r.SetHeaders(
		kafka.Header{Key: HeaderRecordKind, Value: w.kind(ev.Kind)},
		kafka.Header{Key: HeaderDedupKey, Value: readOnlyBytes(ev.DedupKey)},
		kafka.Header{Key: HeaderEventTime, Value: r.FormatTime(ev.Time)},
		kafka.Header{Key: HeaderBridge, Value: w.bridgeName},
	)
	if !ev.KeyTime.IsZero() && !ev.KeyTime.Equal(ev.Time) {
		r.Headers = append(r.Headers, kafka.Header{Key: HeaderKeyTime, Value: []byte(ev.KeyTime.UTC().Format(time.RFC3339Nano))})
	}
	for _, h := range ev.Headers {
		r.Headers = append(r.Headers, kafka.Header{Key: h.Key, Value: h.Value})
	}
	if r.Size() > w.b.cfg.BatchBytes {
		// The broker would refuse it on every replay, and the bridge would
		// never get past it: dead-letter it instead, cut to fit.
		reason := fmt.Sprintf("event of %d bytes does not fit KAFKA_BATCH_BYTES=%d (dedup key %s); value truncated", len(ev.Raw), w.b.cfg.BatchBytes, ev.DedupKey)
		w.b.log.Warn().Str("reason", reason).Msg("sending to the dead-letter topic")
		return w.DeadLetter(ctx, &source.DeadLetter{Raw: ev.Raw[:w.b.cfg.BatchBytes/2], Reason: reason, Time: ev.Time,
			DedupKey: "dlq:" + ev.DedupKey, KeyTime: ev.KeyTime, Buffer: ev.Buffer, Ack: ev.Ack, AckID: ev.AckID})
	}
	r.HoldValue(ev.Buffer)
	return w.send(ctx, r, entry{time: ev.Time, kept: ev.KeyTime, arrived: ev.Arrived, key: ev.DedupKey, output: outEvents, ack: ev.Ack, ackID: ev.AckID})
}

// DeadLetter writes dl to the dead-letter topic with its reason, unless the
// same dead letter was written already (a replay sends a bad frame again).
// Its key is kept in the dedup window by its event time when known, else by
// the latest event time read before it (as its bridge-event-time header
// says); only a known event time counts for the resume position.
func (w *writer) DeadLetter(ctx context.Context, dl *source.DeadLetter) error {
	now := time.Now().UTC()
	t := dl.Time
	if t.IsZero() {
		t = w.tr.eventClock()
	}
	key := dl.DedupKey
	if key == "" {
		sum := sha256.Sum256(dl.Raw)
		key = "dlq:sha256:" + hex.EncodeToString(sum[:])
	}
	if w.tr.seen(key) {
		w.tr.duplicate(dl.Time, dl.Ack, dl.AckID)
		w.b.metrics.duplicates.Inc()
		return nil
	}
	w.b.metrics.deadLetters.Inc()
	if w.reason.value == nil || dl.Reason != w.reason.text {
		w.reason.text, w.reason.value = dl.Reason, []byte(dl.Reason)
	}
	k := readOnlyBytes(key)
	r := &sink.Record{Topic: w.b.cfg.KafkaDLQTopic, Partition: w.partitionOf(k, w.dlqParts), Key: k, Value: dl.Raw, Time: now}
	r.HoldValue(dl.Buffer)
	r.SetHeaders(
		kafka.Header{Key: HeaderRecordKind, Value: w.kind(source.KindDeadLetter)},
		kafka.Header{Key: HeaderDedupKey, Value: k},
		kafka.Header{Key: HeaderError, Value: w.reason.value},
		kafka.Header{Key: HeaderBridge, Value: w.bridgeName},
		kafka.Header{Key: HeaderEventTime, Value: r.FormatTime(t)},
		kafka.Header{Key: HeaderReceivedAt, Value: []byte(now.Format(time.RFC3339Nano))},
	)
	kept := t
	if !dl.KeyTime.IsZero() {
		kept = dl.KeyTime
		r.Headers = append(r.Headers, kafka.Header{Key: HeaderKeyTime, Value: []byte(kept.UTC().Format(time.RFC3339Nano))})
	}
	return w.send(ctx, r, entry{time: dl.Time, kept: kept, key: key, output: outDeadLetters, ack: dl.Ack, ackID: dl.AckID})
}

// Gap writes a marker for events the source can no longer deliver, so the
// loss is visible in the topic itself. The checkpoint moves past the gap
// only once the marker is acknowledged, so a crash in between writes the
// marker again rather than losing it.
func (w *writer) Gap(ctx context.Context, g source.Gap) error {
	from, to := g.From.UTC().Format(time.RFC3339Nano), g.To.UTC().Format(time.RFC3339Nano)
	value, err := json.Marshal(map[string]string{"bridge": w.b.cfg.BridgeName, "gap_from": from, "gap_to": to, "reason": g.Reason})
	if err != nil {
		return fmt.Errorf("encoding gap marker: %w", err)
	}
	key := []byte(w.b.cfg.BridgeName)
	r := &sink.Record{
		Topic: w.b.cfg.KafkaTopic, Partition: w.partitionOf(key, w.outParts), Key: key, Value: value, Time: g.To,
		Headers: []kafka.Header{
			{Key: HeaderRecordKind, Value: w.kind(source.KindGap)},
			{Key: HeaderGap, Value: []byte("true")},
			{Key: HeaderBridge, Value: w.bridgeName},
			{Key: HeaderDedupKey, Value: []byte("gap:" + from + "/" + to)},
			{Key: HeaderEventTime, Value: []byte(to)},
		},
	}
	if err := w.sendWith(ctx, r, "", func(partition, size int) uint64 { return w.tr.beginGap(g.To, partition, size) }); err != nil {
		return err
	}
	w.b.metrics.gaps.Inc()
	return nil
}

// Observe passes fn the acknowledged progress under the tracker's lock.
func (w *writer) Observe(fn func(source.Progress)) { w.tr.observe(fn) }

// Connected sets the bridge's state.
func (w *writer) Connected(up bool) {
	if up {
		w.b.setState(StateStreaming)
	} else {
		w.b.setState(StateConnecting)
	}
}

// send registers r with the tracker as described by e, and queues it.
func (w *writer) send(ctx context.Context, r *sink.Record, e entry) error {
	if e.arrived.IsZero() {
		e.arrived = time.Now()
	}
	r.Queued = e.arrived
	return w.sendWith(ctx, r, e.key, func(partition, size int) uint64 {
		e.partition, e.size = partition, size
		return w.tr.begin(e)
	})
}

// sendWith queues r after register has given it its sequence number.
func (w *writer) sendWith(ctx context.Context, r *sink.Record, key string, register func(partition, size int) uint64) error {
	size := r.Size()
	if err := w.tr.acquire(ctx, size); err != nil {
		return err
	}
	r.Seq = register(r.Partition, size)
	if err := w.prod.Send(ctx, r); err != nil {
		w.tr.withdraw(r.Seq, key)
		return err
	}
	return nil
}

// partitionOf picks the partition as Java clients do (murmur2), so that
// other producers keying the same way land on the same partitions.
func (w *writer) partitionOf(key []byte, parts []int) int {
	return w.balancer.Balance(kafka.Message{Key: key}, parts...)
}

// readOnlyBytes returns the bytes of s without copying them, for record
// keys and header values, which are only ever read (encoded into a batch):
// one allocation serves an event's dedup key, record key and dedup header.
// Nothing may write to the result.
func readOnlyBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

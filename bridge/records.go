package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
)

// Record headers the bridge writes. Stream processors deduplicate on
// HeaderDedupKey; the bridge itself reads them back when it scans the tail.
const (
	HeaderDedupKey  = "bridge-dedup-key"
	HeaderEventTime = "bridge-event-time"
	HeaderBridge    = "bridge-name"
	HeaderGap       = "bridge-gap"
	HeaderError     = "bridge-error"
)

// outRecord is one record to write and the tracker sequence number that its
// acknowledgement completes.
type outRecord struct {
	seq       uint64
	topic     string
	partition int
	key       []byte
	value     []byte
	headers   []kafka.Header
	time      time.Time
	queued    time.Time // when it was read, or else queued: its linger counts from here
	sized     int       // size(), once computed
	// frame is the buffer value is a window on, held until the record is
	// encoded (releaseValue); nil when value is the record's own.
	frame *frameBuf

	// Room for the headers of an event or dead letter in the record's own
	// allocation: one allocation per record instead of three.
	headerRoom [3]kafka.Header
	timeRoom   [len(time.RFC3339Nano)]byte
}

// onFrame makes r hold the frame its value is a window on, if any.
func (r *outRecord) onFrame(fb *frameBuf) {
	if fb != nil {
		fb.hold()
		r.frame = fb
	}
}

// releaseValue lets the frame r's value is a window on be read into again.
// It is called once r is encoded into a batch; nothing reads the value
// after that, and it is cleared so that nothing can.
func (r *outRecord) releaseValue() {
	if r.frame != nil {
		r.value = nil
		r.frame.release()
		r.frame = nil
	}
}

// setHeaders points r.headers at its own room, filled with hs.
func (r *outRecord) setHeaders(hs ...kafka.Header) {
	r.headers = r.headerRoom[:copy(r.headerRoom[:], hs)]
}

// formatTime writes t as RFC 3339 into r's own room.
func (r *outRecord) formatTime(t time.Time) []byte {
	return t.AppendFormat(r.timeRoom[:0], time.RFC3339Nano)
}

// recordOverhead approximates a record's framing in a batch (length,
// attributes, timestamp and offset deltas, header counts), so that batches
// stay under the broker's message size limit.
const recordOverhead = 32

// size estimates r's share of a record batch. It is computed once: the
// writer and the producer both need it, and a record does not change once
// built.
func (r *outRecord) size() int {
	if r.sized == 0 {
		n := recordOverhead + len(r.key) + len(r.value)
		for _, h := range r.headers {
			n += len(h.Key) + len(h.Value) + 4
		}
		r.sized = n
	}
	return r.sized
}

// recordSettings is what record building needs of the configuration.
type recordSettings struct {
	bridge     string // BRIDGE_NAME: the bridge-name header and gap markers' key
	topic      string // KAFKA_TOPIC
	dlqTopic   string // KAFKA_DLQ_TOPIC
	batchBytes int    // KAFKA_BATCH_BYTES: the largest record that can be written
}

// writer turns decoded events, rejects and gaps into records of one epoch:
// it builds each record, registers it with the tracker and queues it.
type writer struct {
	set     recordSettings
	tr      *tracker
	prod    *producer
	metrics *metrics
	log     zerolog.Logger
	parts   map[string]int
	dlqN    int // round-robin over dead-letter partitions

	balancer   kafka.Murmur2Balancer
	outParts   []int  // 0..n-1 for the output topic
	bridgeName []byte // header value, shared by every record

	// Dead letters of the current frame, logged as one line when it is
	// done (frameDone): a hostile frame of millions of rejects must not
	// write millions of lines.
	dlqLogged deadLetterLog
	// readAt is when the frame being written was read (zero between
	// frames): when its records arrived, for the tracker and the linger.
	// One clock reading per frame rather than two per record.
	readAt time.Time
	// frame is the pooled buffer of the frame being written, if it is one:
	// the records that are windows on it hold it (framePool).
	frame *frameBuf
	// reason is the last dead letter's reason header: rejects of a frame
	// mostly share their reason, and then one copy serves them all.
	reason struct {
		text  string
		value []byte
	}
}

func newWriter(set recordSettings, tr *tracker, prod *producer, m *metrics, log zerolog.Logger, parts map[string]int) *writer {
	w := &writer{set: set, tr: tr, prod: prod, metrics: m, log: log, parts: parts, bridgeName: []byte(set.bridge)}
	for p := 0; p < parts[set.topic]; p++ {
		w.outParts = append(w.outParts, p)
	}
	return w
}

// event writes ev, unless the dedup window says it was delivered already.
func (w *writer) event(ctx context.Context, ev *event) error {
	w.metrics.eventsReceived.Inc()
	if w.tr.seen(ev.DedupKey) {
		w.tr.duplicate(ev.Time)
		w.metrics.duplicates.Inc()
		return nil
	}
	r := &outRecord{
		topic: w.set.topic, partition: w.partitionOf(ev.RecordKey),
		key: ev.RecordKey, value: ev.Raw, time: ev.Time,
	}
	r.setHeaders(
		kafka.Header{Key: HeaderDedupKey, Value: readOnlyBytes(ev.DedupKey)},
		kafka.Header{Key: HeaderEventTime, Value: r.formatTime(ev.Time)},
		kafka.Header{Key: HeaderBridge, Value: w.bridgeName},
	)
	if r.size() > w.set.batchBytes {
		// The broker would refuse it on every replay, and the bridge would
		// never get past it: dead-letter it instead, cut to fit.
		reason := fmt.Sprintf("event of %d bytes does not fit KAFKA_BATCH_BYTES=%d (dedup key %s); value truncated", len(ev.Raw), w.set.batchBytes, ev.DedupKey)
		return w.deadLetter(ctx, ev.Time, ev.Raw[:w.set.batchBytes/2], reason)
	}
	r.onFrame(w.frame)
	return w.send(ctx, ev.Time, ev.DedupKey, r)
}

// deadLetter writes raw to the dead-letter topic with the reason. t is the
// event time when the reject is an event (it still counts for the resume
// position), zero otherwise. It is logged with the rest of its frame's
// (frameDone).
func (w *writer) deadLetter(ctx context.Context, t time.Time, raw []byte, reason string) error {
	w.metrics.deadLetters.Inc()
	if w.dlqLogged.n == 0 {
		w.dlqLogged.reason, w.dlqLogged.bytes = reason, len(raw)
	}
	w.dlqLogged.n++
	if w.reason.value == nil || reason != w.reason.text {
		w.reason.text, w.reason.value = reason, []byte(reason)
	}
	w.dlqN++
	now := time.Now().UTC()
	r := &outRecord{
		topic: w.set.dlqTopic, partition: w.dlqN % w.parts[w.set.dlqTopic],
		value: raw, time: now,
	}
	r.onFrame(w.frame) // raw is a window on the frame, or the whole frame
	r.setHeaders(
		kafka.Header{Key: HeaderError, Value: w.reason.value},
		kafka.Header{Key: HeaderBridge, Value: w.bridgeName},
		kafka.Header{Key: "bridge-received-at", Value: r.formatTime(now)},
	)
	return w.send(ctx, t, "", r)
}

// frameDone ends a frame: it logs the frame's dead letters, if any, in one
// line (how many, and the reason and size of the first), and forgets when
// the frame was read.
func (w *writer) frameDone() {
	w.readAt = time.Time{}
	d := &w.dlqLogged
	switch {
	case d.n == 1:
		w.log.Warn().Str("reason", d.reason).Int("bytes", d.bytes).Msg("sending to the dead-letter topic")
	case d.n > 1:
		w.log.Warn().Int("dead_letters", d.n).Str("first_reason", d.reason).Int("first_bytes", d.bytes).
			Msg("sending dead letters of one frame to the dead-letter topic")
	}
	*d = deadLetterLog{}
}

// deadLetterLog sums up the dead letters of a frame.
type deadLetterLog struct {
	n      int
	reason string // of the first
	bytes  int    // of the first
}

// gap writes a marker for events the upstream can no longer replay, so the
// loss is visible in the topic itself. The next connection resumes at `to`;
// the checkpoint follows only once the marker is acknowledged, so a crash
// in between writes the marker again rather than losing it.
func (w *writer) gap(ctx context.Context, from, to time.Time, cause error) error {
	value, err := json.Marshal(map[string]string{
		"bridge":   w.set.bridge,
		"gap_from": from.Format(time.RFC3339Nano),
		"gap_to":   to.Format(time.RFC3339Nano),
		"reason":   cause.Error(),
	})
	if err != nil {
		return fmt.Errorf("encoding gap marker: %w", err)
	}
	key := []byte(w.set.bridge)
	return w.sendWith(ctx, "", &outRecord{
		topic: w.set.topic, partition: w.partitionOf(key),
		key: key, value: value, time: to,
		headers: []kafka.Header{
			{Key: HeaderGap, Value: []byte("true")},
			{Key: HeaderBridge, Value: w.bridgeName},
		},
	}, func(partition, size int) uint64 { return w.tr.beginGap(to, partition, size) })
}

// send registers r with the tracker as an event record (or, with key "",
// another record) and queues it.
func (w *writer) send(ctx context.Context, t time.Time, key string, r *outRecord) error {
	arrived := w.readAt
	if arrived.IsZero() {
		arrived = time.Now()
	}
	r.queued = arrived
	return w.sendWith(ctx, key, r, func(partition, size int) uint64 { return w.tr.begin(t, arrived, key, partition, size) })
}

// sendWith queues r after register has given it its sequence number.
func (w *writer) sendWith(ctx context.Context, key string, r *outRecord, register func(partition, size int) uint64) error {
	size := r.size()
	if err := w.tr.acquire(ctx, size); err != nil {
		return err
	}
	partition := -1
	if r.topic == w.set.topic {
		partition = r.partition
	}
	r.seq = register(partition, size)
	if err := w.prod.send(ctx, r); err != nil {
		w.tr.withdraw(r.seq, key)
		return err
	}
	return nil
}

// partitionOf picks the partition as Java clients do (murmur2), so that
// other producers keying the same way land on the same partitions.
func (w *writer) partitionOf(key []byte) int {
	return w.balancer.Balance(kafka.Message{Key: key}, w.outParts...)
}

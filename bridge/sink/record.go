package sink

import (
	"time"

	"github.com/segmentio/kafka-go"
)

// Record is one record to write, and the tracker sequence number that its
// acknowledgement completes.
type Record struct {
	Seq       uint64
	Topic     string
	Partition int
	Key       []byte
	Value     []byte
	Headers   []kafka.Header
	Time      time.Time
	// Queued is when the record was read, or else queued: its linger counts
	// from here.
	Queued time.Time

	sized int // Size(), once computed
	// buf holds what Value is a window on, until the record is encoded
	// (ReleaseValue); nil when Value is the record's own.
	buf Holder

	// Room for an event's four headers and its event-time header value in
	// the record's own allocation: one allocation per record instead of
	// three. (Each header of room costs 40 bytes for every record in
	// flight; records with more headers, rare, allocate them.)
	headerRoom [4]kafka.Header
	timeRoom   [len(time.RFC3339Nano)]byte
}

// Holder is a shared buffer that a record's value is a window on, such as
// a pooled upstream frame: the record holds it until it is encoded.
type Holder interface {
	Hold()
	Release()
}

// HoldValue makes r hold h, what its value is a window on, until
// ReleaseValue; a nil h holds nothing.
func (r *Record) HoldValue(h Holder) {
	if h != nil {
		h.Hold()
		r.buf = h
	}
}

// ReleaseValue lets the buffer r's value is a window on be reused. The
// producer calls it once r is encoded into a batch; nothing reads the value
// after that, and it is cleared so that nothing can.
func (r *Record) ReleaseValue() {
	if r.buf != nil {
		r.Value = nil
		r.buf.Release()
		r.buf = nil
	}
}

// SetHeaders sets r.Headers to hs, in the record's own room when they fit.
func (r *Record) SetHeaders(hs ...kafka.Header) {
	if len(hs) > len(r.headerRoom) {
		r.Headers = append([]kafka.Header(nil), hs...)
		return
	}
	r.Headers = r.headerRoom[:copy(r.headerRoom[:], hs)]
}

// FormatTime writes t as RFC 3339 into the record's own room, for a header
// value.
func (r *Record) FormatTime(t time.Time) []byte {
	return t.AppendFormat(r.timeRoom[:0], time.RFC3339Nano)
}

// recordOverhead approximates a record's framing in a batch (length,
// attributes, timestamp and offset deltas, header counts), so that batches
// stay under the broker's message size limit.
const recordOverhead = 32

// Size estimates r's share of a record batch. It is computed once: the
// writer and the producer both need it, and a record does not change once
// built.
func (r *Record) Size() int {
	if r.sized == 0 {
		n := recordOverhead + len(r.Key) + len(r.Value)
		for _, h := range r.Headers {
			n += len(h.Key) + len(h.Value) + 4
		}
		r.sized = n
	}
	return r.sized
}

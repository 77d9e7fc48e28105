package websocket

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source"
)

// rig is what the frame handling writes into in tests: a source.Output
// that holds each record's buffer as the core's records do, in flight until
// the test encodes it (encode: copy the value, then release the buffer),
// under a bound on records in flight.
type rig struct {
	src   *Source
	lines *lineCounter
	slots chan struct{} // one per record in flight

	mu   sync.Mutex
	recs []*rigRecord // in flight, in the order handed over
	last time.Time    // latest event time handed over
}

// rigRecord is an event ("event") or a dead letter ("dead") handed over.
type rigRecord struct {
	kind   string
	value  []byte
	buffer source.Buffer
	key    string // dedup key
	reason string // dead letters
}

func newRig(maxInFlight int) *rig {
	lines := &lineCounter{}
	return &rig{
		src:   &Source{log: zerolog.New(lines), decoder: decoder{TimeField: "timestamp", IDField: "id"}},
		lines: lines,
		slots: make(chan struct{}, maxInFlight),
	}
}

// frameWriter is the frame handling of a session on this rig.
func (r *rig) frameWriter(ctx context.Context) *frameWriter {
	st := &stream{src: r.src, cursor: newCursor(time.Unix(0, 0), time.Unix(0, 0), time.Second)}
	return st.newFrameWriter(ctx, r)
}

func (r *rig) hand(ctx context.Context, rec *rigRecord) error {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if rec.buffer != nil {
		rec.buffer.Hold()
	}
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
	return nil
}

func (r *rig) Event(ctx context.Context, ev *source.Event) error {
	r.mu.Lock()
	if ev.Time.After(r.last) {
		r.last = ev.Time
	}
	r.mu.Unlock()
	return r.hand(ctx, &rigRecord{kind: "event", value: ev.Raw, buffer: ev.Buffer, key: ev.DedupKey})
}

func (r *rig) DeadLetter(ctx context.Context, dl *source.DeadLetter) error {
	return r.hand(ctx, &rigRecord{kind: "dead", value: dl.Raw, buffer: dl.Buffer, key: dl.DedupKey, reason: dl.Reason})
}

func (r *rig) Gap(context.Context, source.Gap) error { return nil }

func (r *rig) Observe(fn func(source.Progress)) { fn(source.Progress{}) }

func (r *rig) Connected(bool) {}

// inFlight is how many records wait to be encoded.
func (r *rig) inFlight() int { return len(r.slots) }

// latest is the latest event time handed over.
func (r *rig) latest() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// encode encodes every record in flight, as the producer does: it copies
// each value, releases its buffer and frees its slot. It returns the
// records with their copied values, in the order handed over.
func (r *rig) encode() []*rigRecord {
	r.mu.Lock()
	recs := r.recs
	r.recs = nil
	r.mu.Unlock()
	for _, rec := range recs {
		rec.value = bytes.Clone(rec.value)
		if rec.buffer != nil {
			rec.buffer.Release()
			rec.buffer = nil
		}
		<-r.slots
	}
	return recs
}

// describe is "event <dedup key>" or "dead <value> (<reason>)".
func (rec *rigRecord) describe() string {
	if rec.kind == "dead" {
		return "dead " + string(rec.value) + " (" + rec.reason + ")"
	}
	return "event " + rec.key
}

// lineCounter counts log lines (zerolog writes one event per Write).
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

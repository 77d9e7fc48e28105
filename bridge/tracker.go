package bridge

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// tracker is the bookkeeping of one epoch (the span between two rebuilds of
// state from the output topic). It numbers everything read from the source
// in arrival order, learns which numbers Kafka acknowledged, and derives the
// checkpoint from the longest acknowledged prefix; what that prefix means
// for resuming, the source's Stream says (Position, Horizon).
//
// Invariants (each one once cost a lost or duplicated event in design):
//   - progress.HighWater is the latest event time within the acknowledged
//     prefix of arrival order, never of anything acknowledged out of
//     order: an event acknowledged after a hole in the prefix says nothing
//     about the hole.
//   - the dedup window holds the key of every record the source may still
//     send again: keys go only once older than the stream's Horizon.
//   - ScanFrom is taken from a snapshot of the end offsets whose `below`
//     (the latest event time of any of our records under those offsets) is
//     older than the checkpoint's Since: so every record at or after Since
//     is at or after ScanFrom.
//   - an upstream acknowledgement (Acker) is released only for the
//     acknowledged prefix, and only by committed: never before the records
//     it covers are in Kafka for good.
type tracker struct {
	stream source.Stream
	slots  *sink.InFlight // bounds records read but not yet acknowledged

	mu        sync.Mutex // guards everything below; Position and Horizon are called under it
	base      checkpoint.Position
	items     fifo[item] // not yet popped, in arrival order
	firstSeq  uint64     // seq of the oldest item
	nextSeq   uint64
	progress  source.Progress
	latest    time.Time // the latest event time registered, or base.Since: the clock of a record without one
	below     time.Time
	end       [numOutputs]map[int]int64 // per output and partition: one past our last popped record
	snapshots scanSnapshots
	window    keyWindow
	acks      []pendingAck // popped, waiting for committed
	failure   error
	failed    chan struct{} // closed at the first failure
}

// Outputs of the bridge, the topics whose tails rebuild the dedup window.
const (
	outEvents      = iota // KAFKA_TOPIC
	outDeadLetters        // KAFKA_DLQ_TOPIC
	numOutputs
	outNone = -1
)

type item struct {
	time      time.Time // event time: moves the high water; zero for gap markers and dead letters without one
	kept      time.Time // the time its dedup key is kept by, and its header says: moves `below`
	arrived   time.Time // when it was read: caps what a future-dated event does to the high water
	settled   time.Time // gap markers: the end of the gap
	output    int8      // outEvents, outDeadLetters or outNone
	partition int32
	offset    int64
	done      bool
	held      int // bytes of the in-flight slot it holds; 0: none
	ack       source.Acker
	ackID     uint64
}

// newTracker starts an epoch of stream from base, after the scan that
// found rebuilt (the keys of our records at or after the stream's horizon,
// and where the outputs ended).
func newTracker(stream source.Stream, base checkpoint.Position, slots *sink.InFlight, rebuilt scanResult) *tracker {
	t := &tracker{
		stream: stream,
		slots:  slots,
		base:   base,
		latest: base.Since,
		window: rebuilt.window,
		failed: make(chan struct{}),
	}
	for out := range t.end {
		t.end[out] = maps.Clone(rebuilt.end[out])
		if t.end[out] == nil {
			t.end[out] = map[int]int64{}
		}
	}
	// Records below base's ScanFrom are older than base.Since by the
	// invariant; the scan saw everything above it.
	t.below = base.Since.Add(-time.Nanosecond)
	if rebuilt.latest.After(t.below) {
		t.below = rebuilt.latest
	}
	t.snapshots.take(t.below, t.end)
	return t
}

// seen reports whether the record was already delivered: the drop decision.
func (t *tracker) seen(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.window.seen(key)
}

// acquire waits for an in-flight slot for a record of size bytes.
func (t *tracker) acquire(ctx context.Context, size int) error {
	return t.slots.Acquire(ctx, size)
}

// entry is a record about to be sent, as begin registers it.
type entry struct {
	time      time.Time // event time; zero when unknown (a dead letter)
	kept      time.Time // its dedup key's time in the window; zero: time
	arrived   time.Time
	key       string // its dedup key
	output    int8
	partition int
	size      int
	ack       source.Acker
	ackID     uint64
}

// begin registers a record about to be sent (after acquire), and returns
// its sequence number. Its dedup key enters the window: a copy read again
// before this one is written is dropped.
func (t *tracker) begin(e entry) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.time.After(t.latest) {
		t.latest = e.time
	}
	if e.kept.IsZero() {
		e.kept = e.time
	}
	t.window.add(e.key, e.kept)
	return t.push(item{time: e.time, kept: e.kept, arrived: e.arrived, output: e.output, partition: int32(e.partition), held: e.size, ack: e.ack, ackID: e.ackID})
}

// withdraw undoes the latest begin, whose record could not be queued.
func (t *tracker) withdraw(seq uint64, key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := t.items.len() - 1
	if last < 0 || seq != t.nextSeq-1 || seq != t.firstSeq+uint64(last) {
		return // not the latest: leave it pending, the prefix stops there
	}
	t.slots.Release(t.items.at(last).held)
	t.items.dropLast()
	t.nextSeq--
	t.window.remove(key)
}

// eventClock is the time a record without an event time is kept by: the
// latest event time registered so far, so that its dedup key and its place
// in the scan offsets follow the stream's clock (the one the source's
// Horizon speaks), not the wall clock a catching-up stream is far behind.
func (t *tracker) eventClock() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.latest
}

// duplicate registers a record read again that is dropped: it needs no
// write, but it takes its place in arrival order so that the prefix covers
// it, and its acknowledgement waits for the copy that was written.
func (t *tracker) duplicate(tm time.Time, ack source.Acker, ackID uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tm.After(t.latest) {
		t.latest = tm
	}
	t.push(item{time: tm, kept: tm, arrived: time.Now(), output: outNone, done: true, ack: ack, ackID: ackID})
	t.pop()
}

// beginGap registers a gap marker (after acquire): once it is written, the
// progress is settled up to `to`.
func (t *tracker) beginGap(to time.Time, partition, size int) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.push(item{settled: to, output: outEvents, partition: int32(partition), held: size})
}

func (t *tracker) push(it item) uint64 {
	if t.items.len() == 0 {
		t.firstSeq = t.nextSeq
	}
	t.items.push(it)
	seq := t.nextSeq
	t.nextSeq++
	return seq
}

// complete records a write's outcome; err means the outcome is unknown and
// ends the epoch.
func (t *tracker) complete(seq uint64, offset int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	it := t.items.at(int(seq - t.firstSeq))
	t.slots.Release(it.held)
	it.held = 0
	if err != nil {
		t.failLocked(err)
		return
	}
	if t.failure != nil {
		return // the prefix is frozen at the failure
	}
	it.done, it.offset = true, offset
	t.pop()
}

// pop advances the acknowledged prefix.
func (t *tracker) pop() {
	n := 0
	for n < t.items.len() && t.items.at(n).done {
		t.popped(t.items.at(n))
		n++
	}
	if n == 0 {
		return
	}
	t.items.pop(n)
	t.firstSeq += uint64(n)
}

// popped moves the progress over one item of the prefix.
func (t *tracker) popped(it *item) {
	// An event dated in the future (a skewed clock upstream) must not drag
	// the high water ahead of the upstream's now; it still counts in
	// `below`.
	hw := it.time
	if hw.After(it.arrived) {
		hw = it.arrived
	}
	if hw.After(t.progress.HighWater) {
		t.progress.HighWater = hw
	}
	if it.settled.After(t.progress.Settled) {
		t.progress.Settled = it.settled
	}
	t.progress.Count++
	if it.output != outNone {
		end := t.end[it.output]
		if it.offset+1 > end[int(it.partition)] {
			end[int(it.partition)] = it.offset + 1
		}
		if it.kept.After(t.below) {
			t.below = it.kept
		}
	}
	if it.ack != nil {
		t.acks = append(t.acks, pendingAck{it.ack, it.ackID})
	}
}

// fail ends the epoch's acknowledgements with err (a commit that failed).
func (t *tracker) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failLocked(err)
}

func (t *tracker) failLocked(err error) {
	if t.failure == nil {
		// Acknowledgements already popped stay: with transactions only a
		// successful commit releases them (a failed one never does, and the
		// epoch ends with it); without, Kafka already holds their records.
		t.failure = err
		close(t.failed)
	}
}

// failedCh is closed at the first write failure.
func (t *tracker) failedCh() <-chan struct{} { return t.failed }

// err returns the first write failure.
func (t *tracker) err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failure
}

// stats reports sizes for metrics and logs.
func (t *tracker) stats() (pending, delivered int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.items.len(), t.window.len()
}

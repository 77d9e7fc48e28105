package bridge

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// tracker is the bookkeeping of one epoch (the span between two rebuilds of
// state from the output topic). It numbers everything read from the upstream
// in arrival order, learns which numbers Kafka acknowledged, and derives the
// checkpoint from the longest acknowledged prefix.
//
// Invariants (each one once cost a lost or duplicated event in design):
//   - highWater is the latest event time within the acknowledged prefix of
//     arrival order, never of anything acknowledged out of order: an event
//     acknowledged after a gap in the prefix says nothing about the gap.
//   - Since = highWater - lateness. Because an event arrives at most
//     `lateness` after newer ones, every event older than Since arrived
//     before the prefix ended, so it is in the prefix: replaying from Since
//     loses nothing.
//   - the dedup window holds the key of every event that a connection may
//     still resend (dedup.go states why and how it is pruned).
//   - ScanFrom is taken from a snapshot of endOffsets whose `below` (the
//     latest event time of any of our records under those offsets) is older
//     than Since: so every record at or after Since is at or after ScanFrom.
type tracker struct {
	lateness time.Duration
	slots    inFlight // bounds records read but not yet acknowledged

	mu        sync.Mutex // guards everything below
	base      checkpoint.Position
	floor     time.Time  // no Since before this: an acknowledged gap marker's end
	dialFloor time.Time  // no connection before this: a gap marker's end, acknowledged or not
	items     fifo[item] // not yet popped, in arrival order
	firstSeq  uint64     // seq of the oldest item
	nextSeq   uint64
	highWater time.Time
	below     time.Time
	end       map[int]int64 // per output partition: one past our last popped record
	snapshots scanSnapshots
	window    dedupWindow
	connSince time.Time // since of the current connection
	connHigh  time.Time // latest event time read on the current connection
	failure   error
	failed    chan struct{} // closed at the first failure
}

type item struct {
	time      time.Time // zero for dead letters
	arrived   time.Time // when it was read: caps what a future-dated event does to the high water
	floor     time.Time // gap markers: where the upstream resumes after the gap
	partition int       // output-topic partition; -1 when not in the output topic
	offset    int64
	done      bool
	held      int // bytes of the in-flight slot it holds; 0: none
}

// newTracker starts an epoch from base after the scan found scanned (the
// dedup keys this bridge wrote at or after base.ScanFrom), whose latest
// event time is scannedMax, and the output topic ended at endOffsets.
func newTracker(base checkpoint.Position, lateness time.Duration, maxRecords, maxBytes int, scanned map[string]time.Time, scannedMax time.Time, endOffsets map[int]int64) *tracker {
	t := &tracker{
		lateness:  lateness,
		slots:     inFlight{maxRecords: maxRecords, maxBytes: maxBytes},
		base:      base,
		highWater: base.HighWater,
		end:       make(map[int]int64, len(endOffsets)),
		window:    newDedupWindow(scanned),
		failed:    make(chan struct{}),
	}
	maps.Copy(t.end, endOffsets)
	if t.highWater.Before(base.Since) {
		t.highWater = base.Since
	}
	// Records below base.ScanFrom are older than base.Since by the
	// invariant; the scan saw everything above it.
	t.below = base.Since.Add(-time.Nanosecond)
	if scannedMax.After(t.below) {
		t.below = scannedMax
	}
	t.snapshots.take(t.below, endOffsets)
	return t
}

// reconnect returns the since of the next connection and starts tracking
// what that connection can resend, in one step: between the two, acks
// could move since and prune keys the new connection's replay resends.
// The gap floor applies at once here (the upstream cannot serve anything
// older), but reaches the checkpoint only once its gap marker is written.
func (t *tracker) reconnect() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	since := t.sinceLocked()
	if since.Before(t.dialFloor) {
		since = t.dialFloor
	}
	t.connSince, t.connHigh = since, time.Time{}
	return since
}

// read notes an event read on the current connection.
func (t *tracker) read(tm time.Time) {
	if tm.After(t.connHigh) {
		t.connHigh = tm
	}
}

// seen reports whether the event was already delivered: the drop decision.
func (t *tracker) seen(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.window.seen(key)
}

// acquire waits for an in-flight slot for a record of size bytes.
func (t *tracker) acquire(ctx context.Context, size int) error {
	return t.slots.acquire(ctx, size)
}

// begin registers a record of size bytes about to be sent (after acquire),
// read from the upstream at arrived, and returns its sequence number. key
// is "" for records that are not events.
func (t *tracker) begin(tm, arrived time.Time, key string, partition, size int) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.read(tm)
	if key != "" {
		t.window.add(key, tm)
	}
	return t.push(item{time: tm, arrived: arrived, partition: partition, held: size})
}

// withdraw undoes the latest begin, whose record could not be queued.
func (t *tracker) withdraw(seq uint64, key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := t.items.len() - 1
	if last < 0 || seq != t.nextSeq-1 || seq != t.firstSeq+uint64(last) {
		return // not the latest: leave it pending, the prefix stops there
	}
	t.slots.release(t.items.at(last).held)
	t.items.dropLast()
	t.nextSeq--
	if key != "" {
		t.window.remove(key)
	}
}

// duplicate registers a replayed event that is dropped: it needs no write,
// but it takes its place in arrival order so that the prefix covers it.
func (t *tracker) duplicate(tm time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.read(tm)
	t.push(item{time: tm, arrived: time.Now(), partition: -1, done: true})
	t.pop()
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
	t.slots.release(it.held)
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
		it := t.items.at(n)
		// An event dated in the future (a skewed clock upstream) must not
		// drag since ahead of the upstream's now, or every reconnect would
		// be refused as "since in the future"; it still counts in `below`.
		hw := it.time
		if hw.After(it.arrived) {
			hw = it.arrived
		}
		if hw.After(t.highWater) {
			t.highWater = hw
		}
		if it.floor.After(t.floor) {
			t.floor = it.floor
		}
		if it.partition >= 0 {
			if it.offset+1 > t.end[it.partition] {
				t.end[it.partition] = it.offset + 1
			}
			if it.time.After(t.below) {
				t.below = it.time
			}
		}
		n++
	}
	if n == 0 {
		return
	}
	t.items.pop(n)
	t.firstSeq += uint64(n)
}

// fail ends the epoch's acknowledgements with err (a commit that failed).
func (t *tracker) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failLocked(err)
}

func (t *tracker) failLocked(err error) {
	if t.failure == nil {
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

// beginGap registers a gap marker (after acquire): once it is written, no
// checkpoint resumes before floor; connections skip to floor at once.
func (t *tracker) beginGap(floor time.Time, partition, size int) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if floor.After(t.dialFloor) {
		t.dialFloor = floor
	}
	return t.push(item{floor: floor, partition: partition, held: size})
}

// since is where a reconnect resumes; mu must be held.
func (t *tracker) sinceLocked() time.Time {
	s := t.highWater.Add(-t.lateness)
	if s.Before(t.base.Since) {
		s = t.base.Since
	}
	if s.Before(t.floor) {
		s = t.floor
	}
	return s
}

// position returns the checkpoint for the acknowledged prefix, and prunes
// state that no replay can need any more.
func (t *tracker) position(now time.Time) checkpoint.Position {
	t.mu.Lock()
	defer t.mu.Unlock()
	since := t.sinceLocked()

	t.snapshots.take(t.below, t.end)
	scanFrom := t.snapshots.scanFrom(since, t.base.ScanFrom)

	t.pruneLocked(since)

	return checkpoint.Position{
		Bridge:    t.base.Bridge,
		Topic:     t.base.Topic,
		Since:     since,
		HighWater: t.highWater,
		ScanFrom:  maps.Clone(scanFrom),
		Written:   now,
	}
}

// prune drops the dedup keys no connection can resend any more.
func (t *tracker) prune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneLocked(t.sinceLocked())
}

func (t *tracker) pruneLocked(since time.Time) {
	t.window.prune(pruneBefore(since, t.connSince, t.connHigh, t.lateness))
}

// stats reports sizes for metrics and logs.
func (t *tracker) stats() (pending, delivered int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.items.len(), t.window.len()
}

package bridge

import (
	"maps"
	"time"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// What the acknowledged prefix means: the progress the source's Stream
// reads (observe), the checkpoint it becomes and the dedup keys it lets go
// (position, prune), and the upstream acknowledgements it releases once it
// is durable (committed).

type pendingAck struct {
	ack source.Acker
	id  uint64
}

// observe calls fn with the acknowledged progress, atomically with respect
// to Position and Horizon (see source.Output.Observe).
func (t *tracker) observe(fn func(source.Progress)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn(t.progress)
}

// position returns the checkpoint for the acknowledged prefix, and prunes
// state that nothing can need any more.
func (t *tracker) position(now time.Time) checkpoint.Position {
	t.mu.Lock()
	defer t.mu.Unlock()
	pos := t.stream.Position(t.progress)

	t.snapshots.take(t.below, t.end)
	scanFrom := t.snapshots.scanFrom(pos.Since, [numOutputs]map[int]int64{t.base.ScanFrom, t.base.DLQScanFrom})

	t.window.prune(t.stream.Horizon(t.progress))

	return checkpoint.Position{
		Bridge:      t.base.Bridge,
		Topic:       t.base.Topic,
		Source:      t.base.Source,
		Since:       pos.Since,
		HighWater:   pos.HighWater,
		State:       pos.State,
		ScanFrom:    maps.Clone(scanFrom[outEvents]),
		DLQScanFrom: maps.Clone(scanFrom[outDeadLetters]),
		Written:     now,
	}
}

// prune drops the dedup keys nothing can send again.
func (t *tracker) prune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.window.prune(t.stream.Horizon(t.progress))
}

// committed tells the sources' ackers of everything popped so far: the
// caller has made it durable (a transaction committed, or, without
// transactions, Kafka acknowledged it).
func (t *tracker) committed() {
	t.mu.Lock()
	acks := t.acks
	t.acks = nil
	t.mu.Unlock()
	for _, a := range acks {
		a.ack.Committed(a.id)
	}
}

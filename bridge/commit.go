package bridge

import (
	"context"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// commitMode is how records and their checkpoint become durable, and how
// one instance among those sharing BRIDGE_NAME is chosen to write. There
// are two, chosen once in New by KAFKA_TRANSACTIONS:
//
//   - fenced (fenced.go): every commit interval's records and checkpoint in
//     one Kafka transaction; each epoch's InitProducerID fences every other
//     instance, and standbys watch the checkpoint as a heartbeat.
//   - leased (leased.go): idempotent writes acknowledged one by one, the
//     checkpoint written beside them, duplicates dropped by dedup key; a
//     consumer-group lease picks the one instance that writes.
type commitMode interface {
	// turn waits for this instance's turn to write, then streams with
	// serve until the turn ends (errStandBy: another instance took it) or
	// ctx ends. fresh is false after this process lost a turn.
	turn(ctx context.Context, fresh bool, serve func(context.Context) error) error
	// mayInit checks, before an epoch's InitProducerID, that this instance
	// may still write: re-initialising could fence one that took over.
	mayInit(ctx context.Context, first bool) error
	// initHint says what a refused InitProducerID needs, for the error.
	initHint() string
	// open starts the commits of an epoch whose records the tracker
	// tracks; onAck acknowledges each record to it.
	open(pid *txn.Producer, tr *tracker, onAck sink.AckFunc) epochCommits
}

// epochCommits are the commits of one epoch.
type epochCommits interface {
	// gate is what the epoch's batches pass through.
	gate() sink.Gate
	// start makes the epoch's first checkpoint durable before any record:
	// it claims the bridge name (fenced), or stores a first position that
	// was never written (leased, created true).
	start(ctx context.Context, position func() checkpoint.Position, created bool) error
	// run commits until ctx ends; a failure ends the epoch through the
	// tracker.
	run(ctx context.Context, position func() checkpoint.Position)
	// finish makes what is acknowledged durable once the producer is done
	// (or aborts, after a failure); lost: the turn ended under the epoch,
	// so nothing may be written any more.
	finish(ctx context.Context, position func() checkpoint.Position, lost bool)
}

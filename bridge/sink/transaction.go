package sink

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// Transaction is the open Kafka transaction of one epoch, and the commit
// step that closes it with the checkpoint inside.
//
// Invariants:
//   - A record is acknowledged to the tracker only when the transaction
//     that holds it is about to commit, and the checkpoint written in that
//     same transaction covers exactly what the tracker then acknowledged:
//     the position moves exactly when its records become visible.
//   - No produce request is in flight while the transaction ends: partition
//     goroutines hold the gate (shared) from AddPartitionsToTxn to the
//     batch's answer, and commit holds it exclusively.
//   - Every partition is added to each transaction before its first write
//     (kafka-go speaks produce v8, so the broker cannot add it implicitly).
type Transaction struct {
	pid     *txn.Producer
	onAck   AckFunc
	timeout time.Duration // KAFKA_WRITE_TIMEOUT: bounds each request and its retries

	gate sync.RWMutex // shared: a batch in flight; exclusive: commit

	mu      sync.Mutex // guards added and pending
	added   map[topicPartition]bool
	pending []pendingAck
	full    chan struct{} // signalled when pending reaches fullAt
	fullAt  int

	checkpointSeq int32 // owned by commit (which holds the gate exclusively)
	// unanswered is a checkpoint batch sent with checkpointSeq whose
	// outcome is unknown (its commit was cancelled or timed out): the
	// broker may hold it. It is sent again, same bytes, before any other
	// checkpoint, or a new record with the same sequence would be taken
	// for it and silently dropped as a duplicate.
	unanswered []byte
}

type pendingAck struct {
	r      *Record
	offset int64
}

// NewTransaction opens the transaction of an epoch: onAck receives each
// record's acknowledgement at commit, FullCh signals fullAt held ones, and
// timeout (KAFKA_WRITE_TIMEOUT) bounds each request and its retries.
func NewTransaction(pid *txn.Producer, onAck AckFunc, fullAt int, timeout time.Duration) *Transaction {
	return &Transaction{pid: pid, onAck: onAck, timeout: timeout, added: map[topicPartition]bool{}, full: make(chan struct{}, 1), fullAt: max(fullAt, 1)}
}

// Enter takes the gate for one batch to the partition, adding it to the
// transaction first if needed. Leave releases it once the batch was
// answered.
func (t *Transaction) Enter(ctx context.Context, topic string, partition int) error {
	tp := topicPartition{topic, partition}
	t.gate.RLock()
	t.mu.Lock()
	added := t.added[tp]
	t.mu.Unlock()
	if added {
		return nil
	}
	if err := t.addPartition(ctx, tp); err != nil {
		t.gate.RUnlock()
		return err
	}
	t.mu.Lock()
	t.added[tp] = true
	t.mu.Unlock()
	return nil
}

// Leave ends what Enter began.
func (t *Transaction) Leave() { t.gate.RUnlock() }

// addPartition adds tp, retrying for up to the write timeout: a broker
// that stays away must end the epoch, not hold it.
func (t *Transaction) addPartition(ctx context.Context, tp topicPartition) error {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.pid.AddPartitions(ctx, tp.topic, tp.partition)
}

// end commits or aborts, retrying for up to the write timeout.
func (t *Transaction) end(ctx context.Context, commit bool) error {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.pid.EndTxn(ctx, commit)
}

// Ack holds a written record's acknowledgement until the commit.
func (t *Transaction) Ack(r *Record, offset int64) {
	t.mu.Lock()
	t.pending = append(t.pending, pendingAck{r, offset})
	n := len(t.pending)
	t.mu.Unlock()
	if n == t.fullAt {
		select {
		case t.full <- struct{}{}:
		default:
		}
	}
}

// FullCh is signalled when the acknowledgements held for the open
// transaction reach the in-flight bound's share: commit early.
func (t *Transaction) FullCh() <-chan struct{} { return t.full }

// Commit ends the open transaction: it acknowledges what the transaction
// holds, asks position for the checkpoint that covers it, writes that
// checkpoint into the transaction and commits. With nothing new and force
// unset it commits nothing and returns false. It returns the position it
// committed.
func (t *Transaction) Commit(ctx context.Context, store *checkpoint.Store, position func() checkpoint.Position, force bool) (_ checkpoint.Position, _ bool, err error) {
	t.gate.Lock()
	defer t.gate.Unlock()
	defer func() {
		if err != nil {
			// The broker may or may not have ended the transaction (an
			// EndTxn cancelled in flight can still commit): the next write
			// adds its partitions again, which is harmless if they are
			// still in the open transaction, and needed if a new one began.
			// Otherwise the final commit of a stop could write a record
			// outside any transaction the coordinator knows, holding the
			// partition's last stable offset until the timeout.
			t.mu.Lock()
			clear(t.added)
			t.mu.Unlock()
		}
	}()
	t.mu.Lock()
	pending := t.pending
	t.mu.Unlock()
	if len(pending) == 0 && !force {
		return checkpoint.Position{}, false, nil
	}
	for _, a := range pending {
		t.onAck(a.r, a.offset, nil)
	}
	// The gate keeps Ack out until the commit returns, so the array
	// serves the next transaction (a fresh one grew again every time),
	// emptied so that it keeps no record, and through it no frame, alive.
	clear(pending)
	t.mu.Lock()
	t.pending = pending[:0]
	t.mu.Unlock()
	pos := position()
	rec, err := store.Record(pos)
	if err != nil {
		return pos, false, err
	}
	tp := topicPartition{store.Topic(), 0}
	if !t.added[tp] {
		if err := t.addPartition(ctx, tp); err != nil {
			return pos, false, err
		}
	}
	if t.unanswered != nil {
		if _, err := SendBatch(ctx, t.pid, tp.topic, tp.partition, t.unanswered, t.timeout); err != nil {
			return pos, false, fmt.Errorf("writing an earlier checkpoint again: %w", err)
		}
		t.unanswered = nil
		t.checkpointSeq++
	}
	encoded, err := t.pid.Encode([]kafka.Record{rec}, 0, t.checkpointSeq)
	if err != nil {
		return pos, false, err
	}
	if _, err := SendBatch(ctx, t.pid, tp.topic, tp.partition, encoded, t.timeout); err != nil {
		t.unanswered = encoded
		return pos, false, fmt.Errorf("writing the checkpoint: %w", err)
	}
	t.checkpointSeq++
	if err := t.end(ctx, true); err != nil {
		return pos, false, err
	}
	t.mu.Lock()
	clear(t.added)
	t.mu.Unlock()
	return pos, true, nil
}

// Abort ends the open transaction without committing it, so that
// read_committed consumers need not wait for its timeout. Best effort: the
// next InitProducerID aborts it as well.
func (t *Transaction) Abort(ctx context.Context) error {
	t.gate.Lock()
	defer t.gate.Unlock()
	t.mu.Lock()
	t.pending = nil
	t.mu.Unlock()
	return t.end(ctx, false)
}

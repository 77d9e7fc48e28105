package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/txn"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// errEpochFailed ends an epoch whose writes failed; the next epoch rebuilds
// from the committed checkpoint and the output topic.
var errEpochFailed = errors.New("a write to Kafka failed")

// errTakenOver: another instance wrote the checkpoint since this one did.
var errTakenOver = errors.New("another instance took over")

// epoch streams until ctx ends, a write fails, another instance takes
// over, or the upstream fails permanently. Each epoch starts from what
// Kafka holds, never from memory: a fresh producer id (with transactions:
// a new epoch of the transactional id, which fences every other instance
// and aborts any transaction left open), the committed checkpoint, and a
// scan of the output topic's tail.
func (b *Bridge) epoch(ctx context.Context, first bool) error {
	b.setState(StateRecovering)
	pid, pos, err := b.begin(ctx, first)
	if err != nil {
		return err
	}
	parts, err := partitionCounts(ctx, b.client, b.cfg.KafkaTopic, b.cfg.KafkaDLQTopic)
	if err != nil {
		return err
	}
	started := time.Now()
	scan, err := scanTail(ctx, b.client, b.cfg.KafkaTopic, b.cfg.BridgeName, parts[b.cfg.KafkaTopic], pos.ScanFrom, pos.Since.Add(-b.cfg.EventLateness))
	if err != nil {
		return err
	}
	b.log.Info().Int("records_scanned", scan.records).Int("delivered_keys", len(scan.delivered)).
		Dur("took", time.Since(started)).Msg("scanned the output topic's tail")

	tr := newTracker(pos, b.cfg.EventLateness, b.cfg.MaxInFlight, b.cfg.MaxInFlightBytes, scan.delivered, scan.latest, scan.end)
	position := func() checkpoint.Position {
		p := tr.position(time.Now().UTC())
		p.Writer = b.cfg.InstanceID
		return p
	}
	onAck := func(r *outRecord, offset int64, err error) {
		tr.complete(r.seq, offset, err)
		if err != nil {
			b.metrics.produceFailures.Inc()
			return
		}
		b.metrics.recordsAcked.Inc()
	}
	var tx *transaction
	if pid.Transactional() {
		tx = newTransaction(pid, onAck, b.cfg.MaxInFlight/2, b.cfg.WriteTimeout)
	}
	prod := newProducer(b.client, pid, tx, producerConfig{
		batchSize:  b.cfg.BatchSize,
		batchBytes: b.cfg.BatchBytes,
		observe: func(records, bytes int, took time.Duration) {
			b.metrics.produceLatency.Observe(took.Seconds())
			b.metrics.batchRecords.Observe(float64(records))
			b.metrics.batchBytes.Observe(float64(bytes))
		},
		linger:       b.cfg.Linger,
		writeTimeout: b.cfg.WriteTimeout,
		compression:  codec(b.cfg.Compression),
	}, parts, onAck)
	if tx != nil {
		// Claim the bridge name before streaming: the checkpoint now names
		// this instance, which is what standbys and a later epoch check.
		if _, err := b.commit(ctx, tx, position, true); err != nil {
			prod.abort()
			return b.writeError(fmt.Errorf("committing the first checkpoint of the epoch: %w", err))
		}
	}

	epochCtx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		select {
		case <-tr.failedCh():
			cancel(fmt.Errorf("%w: %v", errEpochFailed, tr.err()))
		case <-epochCtx.Done():
		}
	}()
	go func() {
		defer wg.Done()
		if tx != nil {
			b.commitLoop(epochCtx, tx, tr, position)
		} else {
			b.checkpointLoop(epochCtx, tr, position)
		}
	}()

	w := newWriter(recordSettings{bridge: b.cfg.BridgeName, topic: b.cfg.KafkaTopic, dlqTopic: b.cfg.KafkaDLQTopic, batchBytes: b.cfg.BatchBytes},
		tr, prod, b.metrics, b.log, parts)
	streamErr := b.stream(epochCtx, w)
	cancel(nil)

	leaseLost := errors.Is(context.Cause(ctx), checkpoint.ErrLeaseLost)
	// The partition goroutines end first: a commit in progress may be
	// waiting for their batches.
	if tr.err() != nil || leaseLost {
		prod.abort()
	} else {
		b.flush(prod, tr)
	}
	wg.Wait()
	b.finish(ctx, tx, tr, position, leaseLost)
	if err := tr.err(); err != nil {
		return b.writeError(err)
	}
	return streamErr
}

// begin initialises the epoch's producer and loads the position it resumes
// from, in that order: the init aborts any transaction an earlier instance
// left open, so the load sees only committed checkpoints.
func (b *Bridge) begin(ctx context.Context, first bool) (*txn.Producer, checkpoint.Position, error) {
	if b.cfg.Transactions && !first {
		// Re-initialising would fence an instance that took over while
		// this one recovered: check first.
		cur, found, err := b.store.Load(ctx)
		if err != nil {
			return nil, cur, b.loadError(err)
		}
		if found && cur.Writer != b.cfg.InstanceID {
			return nil, cur, fmt.Errorf("%w: %w: instance %q wrote the checkpoint at %s", errStandBy, errTakenOver, cur.Writer, cur.Written.Format(time.RFC3339Nano))
		}
	}
	pid, err := txn.Init(ctx, b.client, b.cfg.TransactionalID, b.cfg.TransactionTimeout)
	if err != nil {
		if txn.Classify(err) != txn.Permanent {
			return nil, checkpoint.Position{}, err
		}
		hint := "idempotent writes need IDEMPOTENT_WRITE on the cluster, or WRITE on the topics"
		if b.cfg.Transactions {
			hint = fmt.Sprintf("with KAFKA_TRANSACTIONS=true the bridge needs WRITE and DESCRIBE on transactional id %q; set KAFKA_TRANSACTIONS=false where transactions are not allowed", b.cfg.TransactionalID)
		}
		return nil, checkpoint.Position{}, permanent(fmt.Errorf("%w (%s)", err, hint))
	}
	pos, err := b.startPosition(ctx)
	if err != nil {
		return nil, pos, err
	}
	return pid, pos, nil
}

// writeError turns the first write failure of an epoch into what serve
// acts on: stand by when fenced, stop when retrying cannot help, otherwise
// a failed epoch.
func (b *Bridge) writeError(err error) error {
	switch txn.Classify(err) {
	case txn.Fenced:
		return fmt.Errorf("%w: %w", errStandBy, err)
	case txn.Permanent:
		return permanent(err)
	}
	return fmt.Errorf("%w: %w", errEpochFailed, err)
}

func (b *Bridge) loadError(err error) error {
	if errors.Is(err, checkpoint.ErrCorrupt) || errors.Is(err, checkpoint.ErrVersion) {
		return permanent(fmt.Errorf("%w; refusing to guess a start position (inspect CHECKPOINT_TOPIC, or use a new BRIDGE_NAME to start over)", err))
	}
	return err
}

// startPosition loads the checkpoint, or makes the first one (written at
// once without transactions; by the epoch's first commit with them).
func (b *Bridge) startPosition(ctx context.Context) (checkpoint.Position, error) {
	pos, found, err := b.store.Load(ctx)
	if err != nil {
		return pos, b.loadError(err)
	}
	if found {
		if pos.Topic != b.cfg.KafkaTopic {
			return pos, permanent(fmt.Errorf("checkpoint of bridge %q was written for topic %q, but KAFKA_TOPIC is %q: use a new BRIDGE_NAME for a new topic", b.cfg.BridgeName, pos.Topic, b.cfg.KafkaTopic))
		}
		b.log.Info().Time("since", pos.Since).Time("high_water", pos.HighWater).Str("writer", pos.Writer).Msg("resuming from checkpoint")
		return pos, nil
	}
	since := b.cfg.StartSince
	if since.IsZero() {
		since = time.Now().UTC()
	}
	parts, err := partitionCounts(ctx, b.client, b.cfg.KafkaTopic)
	if err != nil {
		return pos, err
	}
	// Nothing of ours exists yet, so the scan can start at today's end.
	scan, err := partitionOffsets(ctx, b.client, b.cfg.KafkaTopic, parts[b.cfg.KafkaTopic], false)
	if err != nil {
		return pos, err
	}
	pos = checkpoint.Position{
		Bridge: b.cfg.BridgeName, Topic: b.cfg.KafkaTopic,
		Since: since, HighWater: since, ScanFrom: scan, Written: time.Now().UTC(), Writer: b.cfg.InstanceID,
	}
	// Written before the first event: a crash before the first periodic
	// checkpoint must not restart from a later "now" and lose the events
	// in between.
	if !b.cfg.Transactions {
		if err := b.store.Save(ctx, pos); err != nil {
			return pos, err
		}
	}
	b.log.Info().Time("since", since).Msg("no checkpoint: starting at START_SINCE")
	return pos, nil
}

// partitionOffsets returns, per partition of topic, the first retained
// offset (first) or the end offset.
func partitionOffsets(ctx context.Context, client *kafka.Client, topic string, partitions int, first bool) (map[int]int64, error) {
	reqs := make([]kafka.OffsetRequest, partitions)
	for p := range reqs {
		reqs[p] = kafka.LastOffsetOf(p)
		if first {
			reqs[p] = kafka.FirstOffsetOf(p)
		}
	}
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("listing offsets of %q: %w", topic, err)
	}
	offsets := make(map[int]int64, partitions)
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("listing offsets of %s[%d]: %w", topic, po.Partition, po.Error)
		}
		offsets[po.Partition] = po.LastOffset
		if first {
			offsets[po.Partition] = po.FirstOffset
		}
	}
	return offsets, nil
}

// flush waits, up to SHUTDOWN_TIMEOUT, for what is queued to be written.
func (b *Bridge) flush(prod *producer, tr *tracker) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		prod.close()
	}()
	timer := time.NewTimer(b.cfg.ShutdownTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		pending, _ := tr.stats()
		b.log.Warn().Int("pending", pending).Msg("flush timed out; unacknowledged records are resent after the restart")
		prod.cancel()
		<-done
	}
}

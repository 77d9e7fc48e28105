package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/lease"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/logread"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// errEpochFailed ends an epoch whose writes failed; the next epoch rebuilds
// from the committed checkpoint and the output topic.
var errEpochFailed = errors.New("a write to Kafka failed")

// errTakenOver: another instance wrote the checkpoint since this one did.
var errTakenOver = errors.New("another instance took over")

// epoch streams until ctx ends, a write fails, another instance takes
// over, or the source fails permanently. Each epoch starts from what Kafka
// holds, never from memory: a fresh producer id (with transactions: a new
// epoch of the transactional id, which fences every other instance and
// aborts any transaction left open), the committed checkpoint, and a scan
// of the outputs' tails.
func (b *Bridge) epoch(ctx context.Context, first bool) error {
	b.setState(StateRecovering)
	parts, err := sink.PartitionCounts(ctx, b.client, b.cfg.KafkaTopic, b.cfg.KafkaDLQTopic)
	if err != nil {
		return err
	}
	pid, pos, created, err := b.begin(ctx, first, parts)
	if err != nil {
		return err
	}
	stream, err := b.src.Resume(source.Checkpoint{Found: !created, Position: source.Position{Since: pos.Since, HighWater: pos.HighWater, State: pos.State}})
	if err != nil {
		return permanent(fmt.Errorf("resuming the %s source from the checkpoint: %w", b.src.Name(), err))
	}
	if created {
		p := stream.Position(source.Progress{})
		pos.Since, pos.HighWater, pos.State = p.Since, p.HighWater, p.State
		b.log.Info().Time("since", pos.Since).Msg("no checkpoint: starting where the source's settings say")
	}
	started := time.Now()
	scan, err := b.scanTails(ctx, parts, pos, stream.Horizon(source.Progress{}))
	if err != nil {
		return err
	}
	b.log.Info().Int("records_scanned", scan.records).Int("delivered_keys", scan.delivered).
		Dur("took", time.Since(started)).Msg("scanned the outputs' tails")

	tr := newTracker(stream, pos, sink.NewInFlight(b.cfg.MaxInFlight, b.cfg.MaxInFlightBytes), scan)
	position := func() checkpoint.Position {
		p := tr.position(time.Now().UTC())
		p.Writer = b.cfg.InstanceID
		_, keys := tr.stats()
		b.metrics.windowKeys.Set(float64(keys))
		return p
	}
	onAck := func(r *sink.Record, offset int64, err error) {
		tr.complete(r.Seq, offset, err)
		if err != nil {
			b.metrics.produceFailures.Inc()
			return
		}
		b.metrics.recordsAcked.Inc()
	}
	commits := b.mode.open(pid, tr, onAck)
	prod := sink.NewProducer(b.client, pid, commits.gate(), b.producerConfig(), parts, onAck)
	if err := commits.start(ctx, position, created); err != nil {
		prod.Abort()
		return b.writeError(err)
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
		commits.run(epochCtx, position)
	}()

	streamErr := stream.Run(epochCtx, newWriter(b, tr, prod, parts))
	if streamErr != nil && epochCtx.Err() == nil {
		streamErr = permanent(streamErr) // the source gave up: retrying cannot help
	}
	cancel(nil)

	lost := lostTurn(ctx) != nil
	// The partition goroutines end first: a commit in progress may be
	// waiting for their batches.
	if tr.err() != nil || lost {
		prod.Abort()
	} else {
		b.flush(prod, tr)
	}
	wg.Wait()
	commits.finish(ctx, position, lost)
	b.closeStream(ctx, stream)
	if err := tr.err(); err != nil {
		return b.writeError(err)
	}
	return streamErr
}

// closeStream lets the source finish the epoch (acknowledge upstream what
// the last commit made durable), within SHUTDOWN_TIMEOUT even when ctx has
// ended: a shutdown is when that matters most.
func (b *Bridge) closeStream(ctx context.Context, stream source.Stream) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.ShutdownTimeout)
	defer cancel()
	if err := stream.Close(ctx); err != nil {
		b.log.Warn().Err(err).Str("source", b.src.Name()).Msg("closing the source's epoch")
	}
}

func (b *Bridge) producerConfig() sink.ProducerConfig {
	return sink.ProducerConfig{
		BatchSize:    b.cfg.BatchSize,
		BatchBytes:   b.cfg.BatchBytes,
		Linger:       b.cfg.Linger,
		WriteTimeout: b.cfg.WriteTimeout,
		Compression:  sink.Codec(b.cfg.Compression),
		Observe: func(records, bytes int, took time.Duration) {
			b.metrics.produceLatency.Observe(took.Seconds())
			b.metrics.batchRecords.Observe(float64(records))
			b.metrics.batchBytes.Observe(float64(bytes))
		},
	}
}

// begin initialises the epoch's producer and loads the position it resumes
// from, in that order: the init aborts any transaction an earlier instance
// left open, so the load sees only committed checkpoints. created is true
// when there was no checkpoint: pos then holds only where the scan starts.
func (b *Bridge) begin(ctx context.Context, first bool, parts map[string]int) (pid *txn.Producer, pos checkpoint.Position, created bool, err error) {
	if err := b.mode.mayInit(ctx, first); err != nil {
		return nil, pos, false, err
	}
	pid, err = txn.Init(ctx, b.client, b.cfg.TransactionalID, b.cfg.TransactionTimeout)
	if err != nil {
		if txn.Classify(err) != txn.Permanent {
			return nil, pos, false, err
		}
		return nil, pos, false, permanent(fmt.Errorf("%w (%s)", err, b.mode.initHint()))
	}
	pos, found, err := b.store.Load(ctx)
	if err != nil {
		return nil, pos, false, b.loadError(err)
	}
	if found {
		if err := b.checkOwnership(pos); err != nil {
			return nil, pos, false, err
		}
		b.log.Info().Time("since", pos.Since).Time("high_water", pos.HighWater).Str("writer", pos.Writer).Msg("resuming from checkpoint")
		return pid, pos, false, nil
	}
	pos, err = b.newPosition(ctx, parts)
	return pid, pos, true, err
}

// checkOwnership refuses a checkpoint written for another topic or source:
// resuming from it would guess.
func (b *Bridge) checkOwnership(pos checkpoint.Position) error {
	if pos.Topic != b.cfg.KafkaTopic {
		return permanent(fmt.Errorf("checkpoint of bridge %q was written for topic %q, but KAFKA_TOPIC is %q: use a new BRIDGE_NAME for a new topic", b.cfg.BridgeName, pos.Topic, b.cfg.KafkaTopic))
	}
	if pos.Source != b.src.Name() {
		return permanent(fmt.Errorf("checkpoint of bridge %q was written by the %s source, but this bridge reads the %s source: use a new BRIDGE_NAME for a new source", b.cfg.BridgeName, pos.Source, b.src.Name()))
	}
	return nil
}

// newPosition is the first position of a bridge name: nothing of ours
// exists yet, so the scans can start at the outputs' ends today.
func (b *Bridge) newPosition(ctx context.Context, parts map[string]int) (checkpoint.Position, error) {
	pos := checkpoint.Position{Bridge: b.cfg.BridgeName, Topic: b.cfg.KafkaTopic, Source: b.src.Name(), Written: time.Now().UTC(), Writer: b.cfg.InstanceID}
	for _, out := range []struct {
		topic string
		into  *map[int]int64
	}{{b.cfg.KafkaTopic, &pos.ScanFrom}, {b.cfg.KafkaDLQTopic, &pos.DLQScanFrom}} {
		bounds, err := logread.Offsets(ctx, b.client, out.topic, parts[out.topic], false)
		if err != nil {
			return pos, err
		}
		*out.into = logread.Ends(bounds)
	}
	return pos, nil
}

// writeError turns the first write failure of an epoch into what serve
// acts on: stand by when fenced, stop when retrying cannot help, otherwise
// a failed epoch.
func (b *Bridge) writeError(err error) error {
	if errors.Is(err, lease.ErrLost) {
		return fmt.Errorf("%w: %w", errStandBy, err) // refused by the lease gate
	}
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

// flush waits, up to SHUTDOWN_TIMEOUT, for what is queued to be written.
func (b *Bridge) flush(prod *sink.Producer, tr *tracker) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		prod.Close()
	}()
	timer := time.NewTimer(b.cfg.ShutdownTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		pending, _ := tr.stats()
		b.log.Warn().Int("pending", pending).Msg("flush timed out; unacknowledged records are resent after the restart")
		prod.Cancel()
		<-done
	}
}

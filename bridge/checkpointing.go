package bridge

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// Checkpointing: how an epoch's position reaches the checkpoint topic.
// With transactions, commitLoop commits the open transaction (records and
// checkpoint together, transaction.go); without, checkpointLoop saves the
// acknowledged position on its own. finish does the last of either when the
// epoch ends.

// finish ends the epoch's writes: with a transaction, commit what is
// acknowledged (or abort after a failure); without, save the position.
func (b *Bridge) finish(ctx context.Context, tx *transaction, tr *tracker, position func() checkpoint.Position, leaseLost bool) {
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.ShutdownTimeout)
	defer cancel()
	switch {
	case leaseLost:
	case tx != nil && tr.err() != nil:
		if err := tx.abort(endCtx); err != nil {
			b.log.Warn().Err(err).Msg("aborting the open transaction failed; the next instance's start, or the transaction timeout, aborts it")
		} else {
			b.metrics.transactions.WithLabelValues("aborted").Inc()
		}
	case tx != nil:
		final := position
		if ctx.Err() != nil {
			// Shutting down: tell standbys (and operator commands) that
			// nobody writes now.
			final = func() checkpoint.Position { p := position(); p.Stopped = true; return p }
		}
		var last checkpoint.Position
		record := func() checkpoint.Position { last = final(); return last }
		if _, err := b.commit(endCtx, tx, record, true); err != nil {
			b.log.Warn().Err(err).Msg("committing the final transaction failed; its records are written again after the restart")
			return
		}
		if ctx.Err() != nil {
			// A clean stop returns once its last checkpoint is readable:
			// a standby or operator command right after it sees "stopped".
			err := b.store.WaitFor(endCtx, func(p checkpoint.Position, found bool) bool {
				return found && p.Written.Equal(last.Written) && p.Writer == last.Writer
			})
			if err != nil {
				b.log.Warn().Err(err).Msg("the final checkpoint did not become readable in time")
			}
		}
	default:
		if err := b.save(endCtx, position()); err != nil {
			b.log.Warn().Err(err).Msg("writing the final checkpoint of the epoch failed; the previous one stays valid")
		}
	}
}

// commit commits the open transaction with its checkpoint (see
// transaction.commit) and records it in the metrics.
func (b *Bridge) commit(ctx context.Context, tx *transaction, position func() checkpoint.Position, force bool) (bool, error) {
	started := time.Now()
	pos, committed, err := tx.commit(ctx, b.store, position, force)
	switch {
	case err != nil:
		b.metrics.checkpointFails.Inc()
	case committed:
		b.metrics.checkpointTime.Observe(time.Since(started).Seconds())
		b.metrics.transactions.WithLabelValues("committed").Inc()
		b.checkpointed(pos)
	}
	return committed, err
}

// save writes pos on its own (without transactions) and records it.
func (b *Bridge) save(ctx context.Context, pos checkpoint.Position) error {
	started := time.Now()
	if err := b.store.Save(ctx, pos); err != nil {
		b.metrics.checkpointFails.Inc()
		return err
	}
	b.metrics.checkpointTime.Observe(time.Since(started).Seconds())
	b.checkpointed(pos)
	return nil
}

// checkpointed records a written checkpoint in the metrics and /healthz.
func (b *Bridge) checkpointed(pos checkpoint.Position) {
	b.metrics.checkpoints.Inc()
	b.metrics.checkpointSince.Set(float64(pos.Since.UnixMilli()) / 1000)
	b.fresh.checkpointed(pos.Since, pos.HighWater)
}

// commitLoop commits the open transaction every KAFKA_COMMIT_INTERVAL when
// it holds records, sooner when it holds half the in-flight bound, and at
// least every quarter of LEASE_SESSION_TIMEOUT even when idle: standbys
// read those checkpoints as this instance's heartbeat.
func (b *Bridge) commitLoop(ctx context.Context, tx *transaction, tr *tracker, position func() checkpoint.Position) {
	t := time.NewTicker(b.cfg.CommitInterval)
	defer t.Stop()
	beat := b.cfg.LeaseSessionTimeout / 4
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-tx.fullCh():
		}
		b.observeInFlight(tr)
		committed, err := b.commit(ctx, tx, position, time.Since(last) >= beat)
		if err != nil {
			if ctx.Err() == nil {
				tr.fail(fmt.Errorf("committing a transaction: %w", err))
			}
			return
		}
		if committed {
			last = time.Now()
		}
	}
}

// pruneInterval is how often the dedup window drops keys no connection
// can resend, between checkpoints: at full speed a second of keys is
// megabytes.
const pruneInterval = 100 * time.Millisecond

// checkpointLoop (without transactions) writes the position every
// CHECKPOINT_INTERVAL when it moved, and prunes the dedup window more often.
func (b *Bridge) checkpointLoop(ctx context.Context, tr *tracker, position func() checkpoint.Position) {
	t := time.NewTicker(b.cfg.CheckpointInterval)
	defer t.Stop()
	prune := time.NewTicker(min(pruneInterval, b.cfg.CheckpointInterval))
	defer prune.Stop()
	var last checkpoint.Position
	for {
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			tr.prune()
			continue
		case <-t.C:
		}
		b.observeInFlight(tr)
		pos := position()
		if pos.Since.Equal(last.Since) && pos.HighWater.Equal(last.HighWater) && maps.Equal(pos.ScanFrom, last.ScanFrom) {
			continue
		}
		saveCtx, cancel := context.WithTimeout(ctx, b.cfg.WriteTimeout)
		err := b.save(saveCtx, pos)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn().Err(err).Msg("writing checkpoint failed; retrying at the next interval")
			}
			continue
		}
		last = pos
	}
}

// observeInFlight sets the in-flight gauges.
func (b *Bridge) observeInFlight(tr *tracker) {
	pending, _ := tr.stats()
	_, bytes := tr.slots.pending()
	b.metrics.inFlight.Set(float64(pending))
	b.metrics.inFlightBytes.Set(float64(bytes))
}

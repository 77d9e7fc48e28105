package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// fenced is the commit mode of KAFKA_TRANSACTIONS=true: records and the
// checkpoint covering them commit in one transaction, so the position
// moves exactly when its records become visible to read_committed
// consumers, and InitProducerID fences any instance that took over.
type fenced struct{ b *Bridge }

func (m fenced) turn(ctx context.Context, fresh bool, serve func(context.Context) error) error {
	if err := m.b.awaitTurn(ctx, fresh); err != nil || ctx.Err() != nil {
		return err
	}
	return serve(ctx)
}

func (m fenced) mayInit(ctx context.Context, first bool) error {
	if first {
		return nil
	}
	b := m.b
	cur, found, err := b.store.Load(ctx)
	if err != nil {
		return b.loadError(err)
	}
	if found && cur.Writer != b.cfg.InstanceID {
		return fmt.Errorf("%w: %w: instance %q wrote the checkpoint at %s", errStandBy, errTakenOver, cur.Writer, cur.Written.Format(time.RFC3339Nano))
	}
	return nil
}

func (m fenced) initHint() string {
	return fmt.Sprintf("with KAFKA_TRANSACTIONS=true the bridge needs WRITE and DESCRIBE on transactional id %q; set KAFKA_TRANSACTIONS=false where transactions are not allowed", m.b.cfg.TransactionalID)
}

func (m fenced) open(pid *txn.Producer, tr *tracker, onAck sink.AckFunc) epochCommits {
	return &fencedEpoch{b: m.b, tr: tr, tx: sink.NewTransaction(pid, onAck, m.b.cfg.MaxInFlight/2, m.b.cfg.WriteTimeout)}
}

// fencedEpoch commits one epoch's transactions.
type fencedEpoch struct {
	b  *Bridge
	tr *tracker
	tx *sink.Transaction
}

func (e *fencedEpoch) gate() sink.Gate { return e.tx }

// start claims the bridge name before streaming: the checkpoint now names
// this instance, which is what standbys and a later epoch check.
func (e *fencedEpoch) start(ctx context.Context, position func() checkpoint.Position, _ bool) error {
	if _, err := e.commit(ctx, position, true); err != nil {
		return fmt.Errorf("committing the first checkpoint of the epoch: %w", err)
	}
	return nil
}

// run commits the open transaction every KAFKA_COMMIT_INTERVAL when it
// holds records, sooner when it holds half the in-flight bound, and at
// least every quarter of LEASE_SESSION_TIMEOUT even when idle: standbys
// read those checkpoints as this instance's heartbeat.
func (e *fencedEpoch) run(ctx context.Context, position func() checkpoint.Position) {
	b := e.b
	t := time.NewTicker(b.cfg.CommitInterval)
	defer t.Stop()
	beat := b.cfg.LeaseSessionTimeout / 4
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.tx.FullCh():
		}
		b.observeInFlight(e.tr)
		committed, err := e.commit(ctx, position, time.Since(last) >= beat)
		if err != nil {
			if ctx.Err() == nil {
				e.tr.fail(fmt.Errorf("committing a transaction: %w", err))
			}
			return
		}
		if committed {
			last = time.Now()
		}
	}
}

// commit commits the open transaction with its checkpoint (see
// sink.Transaction.Commit), records it in the metrics, and tells the
// sources' ackers of what it committed.
func (e *fencedEpoch) commit(ctx context.Context, position func() checkpoint.Position, force bool) (bool, error) {
	b := e.b
	started := time.Now()
	pos, committed, err := e.tx.Commit(ctx, b.store, position, force)
	switch {
	case err != nil:
		b.metrics.checkpointFails.Inc()
	case committed:
		b.metrics.checkpointTime.Observe(time.Since(started).Seconds())
		b.metrics.transactions.WithLabelValues("committed").Inc()
		b.checkpointed(pos.Since, pos.HighWater)
		e.tr.committed()
	}
	return committed, err
}

// finish commits what is acknowledged, or aborts after a failure.
func (e *fencedEpoch) finish(ctx context.Context, position func() checkpoint.Position, lost bool) {
	b := e.b
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.ShutdownTimeout)
	defer cancel()
	switch {
	case lost:
	case e.tr.err() != nil:
		if err := e.tx.Abort(endCtx); err != nil {
			b.log.Warn().Err(err).Msg("aborting the open transaction failed; the next instance's start, or the transaction timeout, aborts it")
		} else {
			b.metrics.transactions.WithLabelValues("aborted").Inc()
		}
	default:
		final := position
		if ctx.Err() != nil {
			// Shutting down: tell standbys (and operator commands) that
			// nobody writes now.
			final = func() checkpoint.Position { p := position(); p.Stopped = true; return p }
		}
		var last checkpoint.Position
		record := func() checkpoint.Position { last = final(); return last }
		if _, err := e.commit(endCtx, record, true); err != nil {
			b.log.Warn().Err(err).Msg("committing the final transaction failed; its records are written again after the restart")
			return
		}
		if ctx.Err() != nil {
			// A clean stop returns once its last checkpoint is readable: a
			// standby or operator command right after it sees "stopped".
			err := b.store.WaitFor(endCtx, func(p checkpoint.Position, found bool) bool {
				return found && p.Written.Equal(last.Written) && p.Writer == last.Writer
			})
			if err != nil {
				b.log.Warn().Err(err).Msg("the final checkpoint did not become readable in time")
			}
		}
	}
}

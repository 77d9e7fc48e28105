package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/lease"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// leased is the commit mode of KAFKA_TRANSACTIONS=false: idempotent writes,
// each record durable once Kafka acknowledged it (acks=all), the
// checkpoint written beside them every CHECKPOINT_INTERVAL, and a
// consumer-group lease that picks the one instance that writes. A write
// left ambiguous by a failure may land twice; the dedup key lets consumers
// drop it.
type leased struct {
	b    *Bridge
	held atomic.Pointer[lease.Lease] // the lease of the turn in progress
}

func (m *leased) turn(ctx context.Context, _ bool, serve func(context.Context) error) error {
	b := m.b
	bo := retry.NewBackoff(b.cfg.ReconnectMinBackoff, b.cfg.ReconnectMaxBackoff, b.seed+3)
	for {
		held, err := lease.Acquire(ctx, b.client, b.cfg.BridgeName, lease.Options{
			SessionTimeout: b.cfg.LeaseSessionTimeout,
			OnStandby: func() {
				b.setState(StateStandby)
				b.log.Info().Str("bridge", b.cfg.BridgeName).Msg("another instance holds this bridge name; standing by")
			},
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ferr := b.final(err); ferr != nil {
				return ferr
			}
			b.log.Warn().Err(err).Msg("acquiring the bridge lease failed; retrying")
			if err := retry.Sleep(ctx, bo.Next()); err != nil {
				return nil
			}
			continue
		}
		bo.Reset()
		b.metrics.leaseHeld.Set(1)
		b.log.Info().Str("bridge", b.cfg.BridgeName).Msg("lease acquired")
		leaseCtx, cancel := context.WithCancelCause(ctx)
		stop := context.AfterFunc(held.Context(), func() { cancel(context.Cause(held.Context())) })
		m.held.Store(held)
		err = serve(leaseCtx)
		m.held.Store(nil)
		stop()
		cancel(nil)
		b.metrics.leaseHeld.Set(0)
		releaseCtx, cancelRelease := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if rerr := held.Release(releaseCtx); rerr != nil {
			b.log.Warn().Err(rerr).Msg("releasing the lease failed; a standby takes over after LEASE_SESSION_TIMEOUT")
		}
		cancelRelease()
		if errors.Is(err, lease.ErrLost) && !errors.Is(err, errStandBy) {
			return fmt.Errorf("%w: %w", errStandBy, err)
		}
		return err
	}
}

func (*leased) mayInit(context.Context, bool) error { return nil }

func (*leased) initHint() string {
	return "idempotent writes need IDEMPOTENT_WRITE on the cluster, or WRITE on the topics"
}

func (m *leased) open(_ *txn.Producer, tr *tracker, onAck sink.AckFunc) epochCommits {
	return &leasedEpoch{b: m.b, tr: tr, onAck: onAck, held: m.held.Load()}
}

// leasedEpoch writes one epoch's checkpoints beside its records.
type leasedEpoch struct {
	b     *Bridge
	tr    *tracker
	onAck sink.AckFunc
	held  *lease.Lease
}

func (e *leasedEpoch) gate() sink.Gate { return leaseGate{sink.Immediate(e.onAck), e.held} }

// leaseGate admits a batch only while the lease is valid by this process's
// clock (lease.Valid): a process frozen past its lease (SIGSTOP, a paused
// VM) must not send what it held once it runs again, before its heartbeat
// goroutine finds the lease lost, for a standby may have written the same
// events meanwhile.
type leaseGate struct {
	sink.Immediate
	held *lease.Lease
}

func (g leaseGate) Enter(context.Context, string, int) error {
	if !g.held.Valid() {
		return errLeaseExpired
	}
	return nil
}

// errLeaseExpired refuses a write or checkpoint of a holder whose lease
// expired by its own clock.
var errLeaseExpired = fmt.Errorf("%w: no heartbeat succeeded within two thirds of LEASE_SESSION_TIMEOUT", lease.ErrLost)

// start writes a first position before the first event: a crash before
// the first periodic checkpoint must not restart from a later "now" and
// lose the events in between.
func (e *leasedEpoch) start(ctx context.Context, position func() checkpoint.Position, created bool) error {
	if !created {
		return nil
	}
	return e.b.store.Save(ctx, position())
}

// pruneInterval is how often the dedup window drops keys nothing can send
// again, and the sources learn what Kafka acknowledged, between
// checkpoints: at full speed a second of keys is megabytes.
const pruneInterval = 100 * time.Millisecond

// run writes the position every CHECKPOINT_INTERVAL when it moved, and
// prunes the dedup window more often.
func (e *leasedEpoch) run(ctx context.Context, position func() checkpoint.Position) {
	b := e.b
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
			e.tr.prune()
			e.tr.committed()
			continue
		case <-t.C:
		}
		b.observeInFlight(e.tr)
		pos := position()
		e.tr.committed()
		if pos.Since.Equal(last.Since) && pos.HighWater.Equal(last.HighWater) && bytes.Equal(pos.State, last.State) &&
			maps.Equal(pos.ScanFrom, last.ScanFrom) && maps.Equal(pos.DLQScanFrom, last.DLQScanFrom) {
			continue
		}
		saveCtx, cancel := context.WithTimeout(ctx, b.cfg.WriteTimeout)
		err := e.save(saveCtx, pos)
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

// save writes pos on its own and records it, while the lease is valid.
func (e *leasedEpoch) save(ctx context.Context, pos checkpoint.Position) error {
	b := e.b
	if !e.held.Valid() {
		return errLeaseExpired
	}
	started := time.Now()
	if err := b.store.Save(ctx, pos); err != nil {
		b.metrics.checkpointFails.Inc()
		return err
	}
	b.metrics.checkpointTime.Observe(time.Since(started).Seconds())
	b.checkpointed(pos.Since, pos.HighWater)
	return nil
}

// finish saves the final position, unless the lease was lost under it.
func (e *leasedEpoch) finish(ctx context.Context, position func() checkpoint.Position, lost bool) {
	if lost || !e.held.Valid() {
		return
	}
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.b.cfg.ShutdownTimeout)
	defer cancel()
	pos := position()
	e.tr.committed()
	if err := e.save(endCtx, pos); err != nil {
		e.b.log.Warn().Err(err).Msg("writing the final checkpoint of the epoch failed; the previous one stays valid")
	}
}

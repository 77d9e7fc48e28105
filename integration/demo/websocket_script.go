package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

func (r *run) script(ctx context.Context) error {
	if err := r.connected(ctx); err != nil {
		return err
	}
	return r.steps(ctx, []step{{dropAt, r.drop}, {expireAt, r.expireTokens}, {restartAt, r.restart}})
}

func (r *run) connected(ctx context.Context) error {
	cur, _, err := r.awaitConn(ctx, "the bridge's first upstream connection")
	if err != nil {
		return err
	}
	r.out.say("connected: ?since=%s, the simulator's start (events emitted before the bridge was up are replayed), token from the OAuth endpoint", cur.Since)
	n, err := r.firstRecords(ctx)
	if err != nil {
		return err
	}
	r.out.say("streaming: %d records in Kafka", n)
	return nil
}

// inject applies a fault once the bridge streams, narrates it and waits for
// the reconnect it causes; at is when the fault was applied.
func (r *run) inject(ctx context.Context, fault func(), narration, reconnect string) (cur, prev sim.ConnInfo, at time.Time, err error) {
	if err := r.streaming(ctx); err != nil {
		return cur, prev, at, err
	}
	r.expect()
	at = time.Now()
	fault()
	r.out.say("fault: %s", narration)
	cur, prev, err = r.awaitConn(ctx, reconnect)
	return cur, prev, at, err
}

func (r *run) drop(ctx context.Context) error {
	cur, prev, at, err := r.inject(ctx, r.up.ResetConnections,
		"dropped connection (the simulator reset the TCP connection)", "the reconnect after the drop")
	if err != nil {
		return err
	}
	r.out.say("reconnected %s later, resuming with ?since=%s (%s before the drop), %s",
		fmtDur(cur.At.Sub(at)), cur.Since, sinceBefore(cur.Since, at), tokenUse(prev, cur))
	return nil
}

func (r *run) expireTokens(ctx context.Context) error {
	cur, prev, at, err := r.inject(ctx, r.up.ExpireTokens,
		"token expiry (the simulator expired every token; the open session gets token_revoked)", "the reconnect after the token expiry")
	if err != nil {
		return err
	}
	if cur.Token == prev.Token {
		r.out.say("reconnected %s later with the same token, ?since=%s", fmtDur(cur.At.Sub(at)), cur.Since)
		return nil
	}
	r.out.say("token refreshed: reconnected %s later with a new token from the OAuth endpoint, ?since=%s",
		fmtDur(cur.At.Sub(at)), cur.Since)
	return nil
}

func (r *run) restart(ctx context.Context) error {
	if err := r.streaming(ctx); err != nil {
		return err
	}
	r.expect()
	r.out.say("restart: stopping the bridge (its Run context is canceled: it flushes and checkpoints)")
	at := time.Now()
	if err := r.current().stop(r.stopTimeout()); err != nil {
		r.connMu.Lock()
		r.expecting = false
		r.connMu.Unlock()
		return err
	}
	stopped := time.Since(at)
	loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	pos, found, err := checkpoint.NewStore(r.kafka, r.cfg.CheckpointTopic, r.cfg.BridgeName).Load(loadCtx)
	cancel()
	switch {
	case err != nil:
		r.out.say("bridge stopped after %s; reading its checkpoint failed: %v", fmtDur(stopped), err)
	case !found:
		r.out.say("bridge stopped after %s; no checkpoint found", fmtDur(stopped))
	default:
		r.out.say("bridge stopped after %s; its checkpoint holds since=%s", fmtDur(stopped), pos.Since.UTC().Format(sinceLayout))
	}
	// A moment without a bridge: events keep coming and must be replayed.
	down := min(max(r.opts.Duration/20, 200*time.Millisecond), 2*time.Second)
	_ = retry.Sleep(ctx, down) // when interrupted, start the bridge anyway: it must deliver
	if err := r.startBridge(ctx); err != nil {
		return err
	}
	r.out.say("new bridge started with the same configuration, %s after the stop", fmtDur(time.Since(at)))
	cur, _, err := r.awaitConn(ctx, "the restarted bridge's connection")
	if err != nil {
		return err
	}
	if found && sameSince(cur.Since, pos.Since) {
		r.out.say("restarted bridge resumed from its checkpoint: ?since=%s", cur.Since)
	} else {
		r.out.say("restarted bridge connected with ?since=%s (not its checkpoint's since)", cur.Since)
	}
	return nil
}

// finish stops generation, waits for delivery, stops the bridge, verifies
// and prints the verdict.
func (r *run) finish(interrupted bool, stopMonitor func()) (verify.Report, error) {
	var rep verify.Report
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	if interrupted {
		r.out.say("interrupted: stopping generation, letting the bridge deliver and flush, then verifying (Ctrl-C again to abort)")
	}
	r.up.Pause()
	ledger := r.up.Ledger()
	want := int64(len(ledger))
	r.out.say("generation stopped at %d events; waiting for Kafka to hold them all", want)
	var have int64
	waitErr, stopErr := r.settle(ctx, fmt.Sprintf("%d records in %s", want, r.cfg.KafkaTopic), func() bool {
		n, err := r.topic.Records()
		if err == nil {
			have = n
		}
		return err == nil && n >= want
	}, func(took time.Duration) string {
		return fmt.Sprintf("Kafka holds %d records, %s after generation stopped", have, fmtDur(took))
	}, stopMonitor)

	records, err := r.cluster.ReadAll(ctx, r.cfg.KafkaTopic)
	if err != nil {
		return rep, errors.Join(waitErr, stopErr, fmt.Errorf("reading back %s: %w", r.cfg.KafkaTopic, err))
	}
	rep, err = verify.ExactlyOnce(ledger, records, r.cfg.BridgeName)
	if err != nil {
		return rep, errors.Join(waitErr, stopErr, fmt.Errorf("verifying: %w", err))
	}

	conns := r.up.Connections()
	tokens := map[string]struct{}{}
	for _, c := range conns {
		tokens[c.Token] = struct{}{}
	}
	r.mu.Lock()
	bridges := len(r.instances)
	r.mu.Unlock()
	r.out.say("%s, %s, %s; the bridge received %d events and dropped %d replayed duplicates",
		plural(bridges, "bridge run"), plural(len(conns), "upstream connection"), plural(len(tokens), "distinct token"),
		r.bridgeCounters(metricReceived), r.bridgeCounters(metricDuplicates))
	line := verdict(rep)
	if interrupted {
		line += fmt.Sprintf(" (interrupted after %s)", fmtDur(time.Since(r.start)))
	}
	r.out.plain("%s", line)
	for _, ex := range rep.Examples {
		r.out.plain("  e.g. %s", ex)
	}
	return rep, errors.Join(waitErr, stopErr)
}

// verdict is the final line; tests and users look for "lost N, duplicates N".
func verdict(rep verify.Report) string {
	s := fmt.Sprintf("verdict: events emitted %d, records in Kafka %d, lost %d, duplicates %d",
		rep.Events, rep.Records, rep.Lost, rep.Duplicates)
	if rep.OK() {
		return s + " — exactly once"
	}
	return s + fmt.Sprintf(", unknown %d, altered %d, out of order %d — NOT exactly once",
		rep.Unknown, rep.Mismatched, rep.OutOfOrder)
}

// sinceLayout is how the bridge writes since (milliseconds, UTC).
const sinceLayout = "2006-01-02T15:04:05.000Z07:00"

// sinceBefore says how far before t a raw since value lies.
func sinceBefore(raw string, t time.Time) string {
	since, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return "unparseable since"
	}
	return fmtDur(t.Sub(since))
}

// sameSince reports whether a raw since is the checkpoint's, at the
// millisecond precision of the wire.
func sameSince(raw string, pos time.Time) bool {
	since, err := time.Parse(time.RFC3339Nano, raw)
	return err == nil && since.Equal(pos.Truncate(time.Millisecond))
}

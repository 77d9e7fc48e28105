package bridge

import (
	"context"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// awaitTurn returns once this instance may take over the bridge name with
// transactions on (or ctx ended). Taking over is always safe, because the
// new producer epoch fences the old instance; waiting only avoids two live
// instances fencing each other in turn.
//
// The active instance commits a checkpoint at least every quarter of
// LEASE_SESSION_TIMEOUT, naming itself (BRIDGE_INSTANCE_ID). So:
//   - no checkpoint yet, or the last one written by an instance that shut
//     down cleanly (Stopped): take over;
//   - at process start, a checkpoint written by this instance id: it was
//     this instance before a crash or restart, take over at once (the
//     restart-after-SIGKILL path);
//   - at process start, a checkpoint older than the session timeout by its
//     writer's clock: nobody is writing, take over;
//   - otherwise stand by, polling, until the checkpoint has not changed for
//     a session timeout by this instance's own clock (so clock skew cannot
//     make a live writer look dead).
//
// fresh is false after this process was fenced: then only the last rule
// applies, or two live instances could take the name from each other.
func (b *Bridge) awaitTurn(ctx context.Context, fresh bool) error {
	timeout := b.cfg.LeaseSessionTimeout
	poll := max(timeout/8, 10*time.Millisecond)
	var last checkpoint.Position
	var changed time.Time
	standing := false
	for {
		pos, found, err := b.store.Load(ctx)
		now := time.Now()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if ferr := b.final(b.loadError(err)); ferr != nil {
				return ferr
			}
			b.log.Warn().Err(err).Msg("reading the checkpoint to decide who streams failed; retrying")
		case !found:
			return nil
		case pos.Stopped:
			b.log.Info().Str("writer", pos.Writer).Msg("the last writer stopped cleanly: taking over")
			return nil
		case fresh && !standing && pos.Writer == b.cfg.InstanceID:
			b.log.Info().Str("instance", pos.Writer).Msg("the checkpoint was written by this instance id before it restarted: taking over")
			return nil
		case fresh && !standing && now.Sub(pos.Written) > timeout:
			b.log.Info().Str("writer", pos.Writer).Time("written", pos.Written).Msg("the last writer has been silent longer than LEASE_SESSION_TIMEOUT: taking over")
			return nil
		case !standing || !pos.Written.Equal(last.Written) || pos.Writer != last.Writer:
			last, changed = pos, now
		case now.Sub(changed) >= timeout:
			b.log.Info().Str("writer", pos.Writer).Dur("silent_for", now.Sub(changed)).Msg("the active instance stopped writing checkpoints: taking over")
			return nil
		}
		if !standing && err == nil {
			standing = true
			b.setState(StateStandby)
			b.log.Info().Str("bridge", b.cfg.BridgeName).Str("active", pos.Writer).Msg("another instance streams this bridge name; standing by")
		}
		if err := retry.Sleep(ctx, poll); err != nil {
			return nil
		}
	}
}

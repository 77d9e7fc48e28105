package websocket

import (
	"context"
	"errors"
	"time"

	ws "github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// stream is one epoch of the source: it connects and reconnects, each
// time from the since its cursor allows. What follows each connection is
// the reconnect policy's decision (reconnect.go); the stream carries it out.
type stream struct {
	src *Source
	*cursor
}

// Close has nothing to finish: the upstream is never acknowledged, only
// replayed from the checkpoint.
func (st *stream) Close(context.Context) error { return nil }

// Run connects and reconnects until ctx ends or a permanent failure.
func (st *stream) Run(ctx context.Context, out source.Output) error {
	s := st.src
	bo := retry.NewBackoff(s.cfg.ReconnectMinBackoff, s.cfg.ReconnectMaxBackoff, s.seed+2)
	for {
		out.Connected(false)
		since := st.resume(out)
		conn, err := s.dialer.dial(ctx, since)
		if ctx.Err() != nil {
			if conn != nil {
				_ = conn.CloseNow()
			}
			return nil
		}
		var next reconnect
		frames := -1 // a refused attempt has no session
		if err != nil {
			if errors.Is(err, errTokenFetch) {
				s.metrics.tokenFailures.Inc()
			}
			next = afterRefusal(err, bo.Next(), since, s.cfg.OnStaleSince, s.cfg.KafkaTopic)
			if next.gap {
				if err := st.recordGap(ctx, out, since, err); err != nil {
					return err
				}
				continue
			}
			if next.reason == "since_future" {
				s.log.Warn().Time("since", since).Msg("upstream says since is in the future: its clock is behind ours; waiting")
			}
		} else {
			s.metrics.connects.Inc()
			s.metrics.connected.Set(1)
			out.Connected(true)
			s.log.Info().Time("since", since).Msg("connected to upstream")
			sess := newSession(ctx, conn, s.cfg.IdleTimeout, s.cfg.PingInterval, &s.frames)
			var serr error
			frames, serr = st.consume(ctx, sess, out)
			sess.close(ws.StatusNormalClosure, "reconnecting")
			s.metrics.connected.Set(0)
			if ctx.Err() != nil {
				return nil
			}
			if frames > 0 {
				bo.Reset()
			}
			err = serr
			next = afterSession(err, bo.Next(), s.cfg.MaxFrameBytes)
		}
		if next.fatal != nil {
			return next.fatal
		}
		if next.invalidate {
			s.tokens.Invalidate()
		}
		s.metrics.disconnects.WithLabelValues(next.reason).Inc()
		if frames < 0 {
			s.log.Warn().Err(err).Str("reason", next.reason).Dur("retry_in", next.delay).Msg("upstream connection refused")
		} else {
			s.log.Warn().Err(err).Str("reason", next.reason).Int("frames", frames).Dur("reconnect_in", next.delay).Msg("upstream connection ended")
		}
		if retry.Sleep(ctx, next.delay) != nil {
			return nil
		}
	}
}

// recordGap writes the gap marker for events the upstream can no longer
// replay (ON_STALE_SINCE=resume-now); the next connection resumes from now.
func (st *stream) recordGap(ctx context.Context, out source.Output, since time.Time, cause error) error {
	now := time.Now().UTC()
	if err := out.Gap(ctx, source.Gap{From: since, To: now, Reason: cause.Error()}); err != nil {
		return err
	}
	st.gapWritten(now)
	st.src.log.Error().Time("gap_from", since).Time("gap_to", now).Err(cause).
		Msg("upstream cannot replay from the checkpoint; ON_STALE_SINCE=resume-now: gap recorded in the topic, continuing from now")
	return nil
}

// consume reads frames until the session ends; it returns the number of
// frames read and why it ended.
func (st *stream) consume(ctx context.Context, sess *session, out source.Output) (int, error) {
	fw := st.newFrameWriter(ctx, out)
	frames := 0
	for {
		fb, err := sess.next(ctx)
		if err != nil {
			return frames, err
		}
		frames++
		if err := fw.writeBuffer(fb); err != nil {
			return frames, err
		}
	}
}

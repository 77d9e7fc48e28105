package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/coder/websocket"
)

// stream connects and reconnects to the upstream, resuming from the
// tracker's position each time, until ctx ends or a permanent failure.
// What follows each connection is the reconnect policy's decision
// (reconnect.go); stream only carries it out.
func (b *Bridge) stream(ctx context.Context, w *writer) error {
	bo := newBackoff(b.cfg.ReconnectMinBackoff, b.cfg.ReconnectMaxBackoff, b.seed+2)
	for {
		b.setState(StateConnecting)
		since := w.tr.reconnect()
		conn, err := b.dialer.dial(ctx, since)
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
				b.metrics.tokenFailures.Inc()
			}
			next = afterRefusal(err, bo.next(), since, b.cfg.OnStaleSince, b.cfg.KafkaTopic)
			if next.gap {
				if err := b.recordGap(ctx, w, since, err); err != nil {
					return err
				}
				continue
			}
			if next.reason == "since_future" {
				b.log.Warn().Time("since", since).Msg("upstream says since is in the future: its clock is behind ours; waiting")
			}
		} else {
			b.metrics.connects.Inc()
			b.metrics.connected.Set(1)
			b.setState(StateStreaming)
			b.log.Info().Time("since", since).Msg("connected to upstream")
			s := newSession(ctx, conn, b.cfg.IdleTimeout, b.cfg.PingInterval, &b.frames)
			var serr error
			frames, serr = b.consume(ctx, s, w)
			s.close(websocket.StatusNormalClosure, "reconnecting")
			b.metrics.connected.Set(0)
			if ctx.Err() != nil {
				return nil
			}
			if frames > 0 {
				bo.reset()
			}
			err = serr
			next = afterSession(err, bo.next(), b.cfg.MaxFrameBytes)
		}
		if next.fatal != nil {
			return permanent(next.fatal)
		}
		if next.invalidate {
			b.tokens.Invalidate()
		}
		b.metrics.disconnects.WithLabelValues(next.reason).Inc()
		if frames < 0 {
			b.log.Warn().Err(err).Str("reason", next.reason).Dur("retry_in", next.delay).Msg("upstream connection refused")
		} else {
			b.log.Warn().Err(err).Str("reason", next.reason).Int("frames", frames).Dur("reconnect_in", next.delay).Msg("upstream connection ended")
		}
		if sleep(ctx, next.delay) != nil {
			return nil
		}
	}
}

// recordGap writes the gap marker for events the upstream can no longer
// replay (ON_STALE_SINCE=resume-now); the next connection resumes from now.
func (b *Bridge) recordGap(ctx context.Context, w *writer, since time.Time, cause error) error {
	now := time.Now().UTC()
	if err := w.gap(ctx, since, now, cause); err != nil {
		return err
	}
	b.metrics.gaps.Inc()
	b.log.Error().Time("gap_from", since).Time("gap_to", now).Err(cause).
		Msg("upstream cannot replay from the checkpoint; ON_STALE_SINCE=resume-now: gap recorded in the topic, continuing from now")
	return nil
}

// consume reads frames until the session ends; it returns the number of
// frames read and why it ended.
func (b *Bridge) consume(ctx context.Context, s *session, w *writer) (int, error) {
	fw := b.newFrameWriter(ctx, w)
	frames := 0
	for {
		fb, err := s.next(ctx)
		if err != nil {
			return frames, err
		}
		frames++
		if err := fw.writeBuffer(fb); err != nil {
			return frames, err
		}
	}
}

// frameWriter writes the frames of one session through the writer. Its
// callbacks are made once: made for each frame, they cost two allocations
// a frame.
type frameWriter struct {
	b        *Bridge
	w        *writer
	onEvent  func(event) error
	onReject func(rejected) error
}

func (b *Bridge) newFrameWriter(ctx context.Context, w *writer) *frameWriter {
	return &frameWriter{
		b: b, w: w,
		onEvent: func(ev event) error {
			b.fresh.received(ev.Time)
			return w.event(ctx, &ev)
		},
		onReject: func(rej rejected) error {
			return w.deadLetter(ctx, time.Time{}, rej.Raw, rej.Reason)
		},
	}
}

// writeBuffer writes the frame of a pooled buffer, and releases the
// caller's hold on it: the records that are windows on it hold it until
// they are encoded.
func (fw *frameWriter) writeBuffer(fb *frameBuf) error {
	fw.w.frame = fb
	defer func() {
		fw.w.frame = nil
		fb.release()
	}()
	return fw.write(fb.b)
}

// write writes one frame's events and dead letters in frame order, each
// as soon as it is decoded: every element waits for its in-flight slot
// before the next is decoded, so that a frame of MAX_FRAME_BYTES full of
// tiny events holds its own bytes and at most KAFKA_MAX_IN_FLIGHT records,
// never all of its events at once. A control message acts once the whole
// frame is written (its events are delivered too): the session ends with
// errTokenRevoked, or else errSocketClosing.
func (fw *frameWriter) write(data []byte) error {
	fw.w.readAt = time.Now()
	defer fw.w.frameDone()
	ctl, err := fw.b.decoder.walk(data, fw.onEvent, fw.onReject)
	if err != nil {
		return err
	}
	switch ctl {
	case controlSocketClosing:
		return errSocketClosing
	case controlTokenRevoked:
		return errTokenRevoked
	}
	return nil
}

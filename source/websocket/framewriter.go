package websocket

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source"
)

// frameWriter hands the events and dead letters of one session's frames to
// the core. Its callbacks are made once: made for each frame, they cost two
// allocations a frame; and its Event is reused, since the core copies what
// it keeps.
type frameWriter struct {
	d        *decoder
	cursor   *cursor
	out      source.Output
	log      zerolog.Logger
	onEvent  func(event) error
	onReject func(rejected) error

	ev     source.Event
	dl     source.DeadLetter
	frame  *frameBuf // the pooled buffer of the frame being written
	readAt time.Time // when it was read: one clock reading per frame
	// Dead letters of the current frame, logged as one line when it is
	// done: a hostile frame of millions of rejects must not write millions
	// of lines.
	dlqLogged deadLetterLog
}

// deadLetterLog sums up the dead letters of a frame.
type deadLetterLog struct {
	n      int
	reason string // of the first
	bytes  int    // of the first
}

func (st *stream) newFrameWriter(ctx context.Context, out source.Output) *frameWriter {
	fw := &frameWriter{d: &st.src.decoder, cursor: st.cursor, out: out, log: st.src.log}
	fw.onEvent = func(ev event) error {
		fw.cursor.read(ev.Time)
		fw.ev = source.Event{Raw: ev.Raw, Time: ev.Time, DedupKey: ev.DedupKey, Key: ev.RecordKey, Arrived: fw.readAt}
		if fw.frame != nil {
			fw.ev.Buffer = fw.frame
		}
		return out.Event(ctx, &fw.ev)
	}
	fw.onReject = func(rej rejected) error {
		if fw.dlqLogged.n == 0 {
			fw.dlqLogged.reason, fw.dlqLogged.bytes = rej.Reason, len(rej.Raw)
		}
		fw.dlqLogged.n++
		fw.dl = source.DeadLetter{Raw: rej.Raw, Reason: rej.Reason, DedupKey: deadLetterKey(rej.Raw)}
		if fw.frame != nil {
			fw.dl.Buffer = fw.frame
		}
		return out.DeadLetter(ctx, &fw.dl)
	}
	return fw
}

// writeBuffer writes the frame of a pooled buffer, and releases the
// caller's hold on it: the records that are windows on it hold it until
// they are encoded.
func (fw *frameWriter) writeBuffer(fb *frameBuf) error {
	fw.frame = fb
	defer func() {
		fw.frame = nil
		fb.Release()
	}()
	return fw.write(fb.b)
}

// write writes one frame's events and dead letters in frame order, each as
// soon as it is decoded: every element waits for its in-flight slot before
// the next is decoded, so that a frame of MAX_FRAME_BYTES full of tiny
// events holds its own bytes and at most KAFKA_MAX_IN_FLIGHT records, never
// all of its events at once. A control message acts once the whole frame is
// written (its events are delivered too): the session ends with
// errTokenRevoked, or else errSocketClosing.
func (fw *frameWriter) write(data []byte) error {
	fw.readAt = time.Now()
	defer fw.frameDone()
	ctl, err := fw.d.walk(data, fw.onEvent, fw.onReject)
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

// frameDone ends a frame: it logs the frame's dead letters, if any, in one
// line (how many, and the reason and size of the first).
func (fw *frameWriter) frameDone() {
	d := &fw.dlqLogged
	switch {
	case d.n == 1:
		fw.log.Warn().Str("reason", d.reason).Int("bytes", d.bytes).Msg("sending to the dead-letter topic")
	case d.n > 1:
		fw.log.Warn().Int("dead_letters", d.n).Str("first_reason", d.reason).Int("first_bytes", d.bytes).
			Msg("sending dead letters of one frame to the dead-letter topic")
	}
	*d = deadLetterLog{}
}

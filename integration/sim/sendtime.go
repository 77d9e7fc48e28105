package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// sendTimedStream keeps GenerateSendTimed's content apart from the regular
// generator's and the backlog's (a different PCG stream of the same seed),
// so that ids never repeat.
const sendTimedStream = 0x73656e6474696d65 // "sendtime"

// timestampField precedes the value of "timestamp" in a generated event.
var timestampField = []byte(`"timestamp":"`)

// GenerateSendTimed generates events live at rate events per second until
// ctx ends or the server closes, and returns how many it emitted. It
// generates as the regular generator does: every 10 ms tick emits rate ×
// the time since the previous tick (carrying the fraction), appends the
// events to the retained log and the ledger, and fans them out to every
// connection in frames of up to BatchSize (a one-event frame is sometimes a
// bare object). One thing differs: every event's "timestamp" is the time
// at which the event is handed to the connections' writers, taken after
// the tick's events are generated and just before they are emitted (UTC,
// truncated to the millisecond like every timestamp of the feed), instead
// of a time spread over the tick. A latency measurement can then take the
// timestamp as the time the upstream sent the event: the writer sends a
// frame microseconds later, unless the client's reading holds it back.
//
// It pauses the regular generator first (Pause), which stays paused when
// it returns: do not Resume while it runs. The feed with ids only (not
// IDLess); no event is late.
func (s *Server) GenerateSendTimed(ctx context.Context, rate float64) (int, error) {
	switch {
	case rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0):
		return 0, fmt.Errorf("send-timed generation at %v events/s: the rate must be a positive number", rate)
	case s.cfg.IDLess:
		return 0, errors.New("send-timed generation: not available for the IDLess feed")
	}
	s.Pause()

	s.mu.Lock()
	stream := sendTimedStream + uint64(s.emitted)<<8
	s.mu.Unlock()
	g := &generator{
		content:  &content{rng: rand.New(rand.NewPCG(uint64(s.cfg.Seed), stream))},
		frameRng: rand.New(rand.NewPCG(uint64(s.cfg.Seed), stream+1)),
		last:     time.Now(),
	}
	for range queuePool {
		g.content.queues = append(g.content.queues, g.content.uuid())
	}
	for range userPool {
		g.content.users = append(g.content.users, g.content.uuid())
	}
	for range liveConversations {
		g.content.convs = append(g.content.convs, g.content.newConversation())
	}

	// Events are generated with a placeholder time of the final width and
	// stamped in place once the tick's events are ready.
	placeholder := time.Time{}
	stampWidth := len(placeholder.UTC().Format(TimestampLayout))

	t := time.NewTicker(tickInterval)
	defer t.Stop()
	emitted := 0
	var out []*entry
	var offsets []int
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return emitted, nil
		case <-s.ctx.Done():
			return emitted, nil
		case now = <-t.C:
		}
		dt := min(max(now.Sub(g.last), 0), maxTickGap)
		g.last = now
		want := g.carry + rate*dt.Seconds()
		n := int(want)
		g.carry = want - float64(n)
		if n == 0 {
			continue
		}

		out, offsets = out[:0], offsets[:0]
		for range n {
			id, raw, err := g.content.next(placeholder)
			if err != nil {
				return emitted, err
			}
			i := bytes.Index(raw, timestampField)
			if i < 0 {
				return emitted, fmt.Errorf("send-timed generation: no timestamp in %s", raw)
			}
			out = append(out, &entry{id: id, raw: raw})
			offsets = append(offsets, i+len(timestampField))
		}

		s.genMu.Lock()
		sent := time.Now().UTC().Truncate(time.Millisecond)
		stamp := sent.AppendFormat(make([]byte, 0, stampWidth), TimestampLayout)
		for i, e := range out {
			copy(e.raw[offsets[i]:offsets[i]+stampWidth], stamp)
			e.time = sent
		}
		// emit keeps the slice's entries: hand it a copy of the slice.
		s.emit(g, append([]*entry(nil), out...), sent, false)
		s.genMu.Unlock()
		emitted += n
	}
}

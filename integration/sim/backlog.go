package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backlog describes events that Preload puts into the retained log at once,
// for benchmarks that need a large replay ready before the client connects.
type Backlog struct {
	// Events is how many events to add.
	Events int

	// EventBytes, when positive, sizes every event to about this many
	// bytes: optional fields are left out while the event is too big
	// ("metadata", then "eventBody.disconnectType", then
	// "eventBody.userId"; "id", "timestamp" and "eventBody.conversationId"
	// always stay), then a top-level "padding" string of seeded random
	// letters and digits (incompressible, like the ids) brings it up to the
	// size. Events that cannot be made to fit exactly end within a dozen
	// bytes of it. Zero keeps the events as generated (543 to 626 bytes,
	// 576 on average).
	EventBytes int

	// Span spreads the event times evenly over [now-Span, now), in groups
	// sharing a timestamp as live events do. Default: 1ms per event. It
	// must be shorter than the retention.
	Span time.Duration
}

// backlogStream keeps the backlog's content apart from the generator's
// (a different PCG stream of the same seed), so that ids never repeat.
const backlogStream = 0x6261636b6c6f67 // "backlog"

// Preload generates b.Events events with the simulator's content model and
// appends them to the retained log and the ledger in one emission, stamped
// as if they had been generated over b.Span before now. A client connecting
// with since at or before the first one gets them all as replay; connected
// clients get them live. It returns the first event's time. Live
// generation waits while it runs.
//
// Preload does not stop live generation: pause the server first (or run
// it at a negligible Rate) when the backlog must be all there is. The
// feed with ids only (not IDLess).
func (s *Server) Preload(b Backlog) (time.Time, error) {
	switch {
	case b.Events <= 0:
		return time.Time{}, fmt.Errorf("backlog of %d events: must be positive", b.Events)
	case b.EventBytes < 0:
		return time.Time{}, fmt.Errorf("backlog event size %d: must not be negative", b.EventBytes)
	case s.cfg.IDLess:
		return time.Time{}, errors.New("backlog: not available for the IDLess feed")
	}
	span := b.Span
	if span <= 0 {
		span = time.Duration(b.Events) * time.Millisecond
	}
	if span >= s.cfg.Retention {
		return time.Time{}, fmt.Errorf("backlog span %s: must be shorter than the retention %s", span, s.cfg.Retention)
	}

	// Hold the generator off for the whole backlog, so that no tick (and
	// no other Preload) emits in between: the backlog's stream is chosen by
	// how many events were emitted before it, which keeps it reproducible
	// and each backlog's ids its own.
	s.genMu.Lock()
	defer s.genMu.Unlock()
	s.mu.Lock()
	stream := backlogStream + uint64(s.emitted)<<8
	s.mu.Unlock()
	c := newContentFrom(rand.New(rand.NewPCG(uint64(s.cfg.Seed), stream)), false)
	pad := rand.New(rand.NewPCG(uint64(s.cfg.Seed), stream+1))

	now := time.Now()
	start := now.Add(-span)
	out := make([]*entry, 0, b.Events)
	groupLeft := 0
	var groupTime time.Time
	for i := range b.Events {
		if groupLeft == 0 {
			groupLeft = c.groupSize()
			t := start.Add(span * time.Duration(i) / time.Duration(b.Events))
			groupTime = t.UTC().Truncate(time.Millisecond)
		}
		groupLeft--
		id, raw, err := c.next(groupTime)
		if err != nil {
			return time.Time{}, err
		}
		if b.EventBytes > 0 {
			if raw, err = fitEvent(raw, b.EventBytes, pad); err != nil {
				return time.Time{}, err
			}
		}
		out = append(out, &entry{id: id, time: groupTime, raw: raw})
	}

	// Emit like a tick, so that the ledger, the log and connected clients
	// all get it.
	g := &generator{frameRng: rand.New(rand.NewPCG(uint64(s.cfg.Seed), stream+2))}
	s.emit(g, out, time.Now(), false)
	return out[0].time, nil
}

// sizedEvent is wireEvent with its optional parts removable and a padding
// field; the field order is wireEvent's.
type sizedEvent struct {
	ID        string    `json:"id"`
	TopicName string    `json:"topicName"`
	Version   string    `json:"version"`
	Timestamp string    `json:"timestamp"`
	EventBody eventBody `json:"eventBody"`
	Metadata  *metadata `json:"metadata,omitempty"`
	Padding   string    `json:"padding,omitempty"`
}

const padAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// fitEvent re-renders a generated event at about size bytes (see
// Backlog.EventBytes).
func fitEvent(raw []byte, size int, rng *rand.Rand) ([]byte, error) {
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("backlog: decoding a generated event: %w", err)
	}
	meta := w.Metadata
	ev := sizedEvent{ID: w.ID, TopicName: w.TopicName, Version: w.Version, Timestamp: w.Timestamp, EventBody: w.EventBody, Metadata: &meta}
	drops := []func(){
		func() { ev.Metadata = nil },
		func() { ev.EventBody.DisconnectType = "" },
		func() { ev.EventBody.UserID = "" },
	}
	out, err := json.Marshal(ev)
	for len(out) > size && len(drops) > 0 && err == nil {
		drops[0]()
		drops = drops[1:]
		out, err = json.Marshal(ev)
	}
	if err != nil {
		return nil, fmt.Errorf("backlog: encoding an event: %w", err)
	}
	const padField = len(`,"padding":""`)
	if n := size - len(out) - padField; n > 0 {
		p := make([]byte, n)
		for i := range p {
			p[i] = padAlphabet[rng.IntN(len(padAlphabet))]
		}
		ev.Padding = string(p)
		if out, err = json.Marshal(ev); err != nil {
			return nil, fmt.Errorf("backlog: encoding an event: %w", err)
		}
	}
	return out, nil
}

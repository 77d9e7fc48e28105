package sim

import (
	"context"
	"math/rand/v2"
	"sort"
	"time"
)

// tickInterval is the generator's period. Each tick generates rate*dt events,
// carrying the fraction, so any rate works with one goroutine.
const tickInterval = 10 * time.Millisecond

// maxTickGap caps the time one tick accounts for, so that a stalled process
// (GC, a loaded CI machine) resumes with a burst of at most one second.
const maxTickGap = time.Second

// pendingEvent is a late event waiting for its emission time.
type pendingEvent struct {
	due  time.Time
	id   string
	time time.Time
	raw  []byte
}

func (p pendingEvent) entry() *entry { return &entry{id: p.id, time: p.time, raw: p.raw} }

// generator is the state of the generator goroutine; nothing else touches it.
type generator struct {
	content   *content
	frameRng  *rand.Rand // frame shapes; timing-dependent, kept off the content source
	last      time.Time  // end of the previous tick
	carry     float64    // fractional events carried to the next tick
	generated int
	groupLeft int       // events left in the current same-timestamp group
	groupTime time.Time // the current group's timestamp
	pending   []pendingEvent
}

// generate runs the generator until ctx is done.
func (s *Server) generate(ctx context.Context) {
	g := &generator{
		content:  newContent(s.cfg.Seed, s.cfg.IDLess),
		frameRng: rand.New(rand.NewPCG(uint64(s.cfg.Seed), 0x6672616d6573)), // "frames"
		last:     time.Now(),
	}
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.tick(g, now)
		}
	}
}

// tick generates the events due in (g.last, now], emits them together with
// the late events that became due, prunes the retained log and fans out.
func (s *Server) tick(g *generator, now time.Time) {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	if s.paused.Load() {
		// Nothing accrues while paused, and a group never spans a pause:
		// events generated after Resume get current times.
		g.last, g.carry, g.groupLeft = now, 0, 0
		return
	}
	dt := now.Sub(g.last)
	if dt > maxTickGap {
		dt = maxTickGap
	}
	if dt < 0 {
		dt = 0
	}
	start := now.Add(-dt)
	g.last = now

	want := g.carry + s.cfg.Rate*dt.Seconds()
	n := int(want)
	g.carry = want - float64(n)
	if s.cfg.MaxEvents > 0 && g.generated+n > s.cfg.MaxEvents {
		n = s.cfg.MaxEvents - g.generated
		g.carry = 0
	}

	var fresh []*entry // in-order events, non-decreasing times
	for i := range n {
		// Spread the tick's events over (start, now]; a group shares the
		// time of its first event.
		t := start.Add(dt * time.Duration(i+1) / time.Duration(n))
		if g.groupLeft == 0 {
			g.groupLeft = g.content.groupSize()
			g.groupTime = t.UTC().Truncate(time.Millisecond)
		}
		g.groupLeft--
		et := g.groupTime
		id, raw, err := g.content.next(et)
		if err != nil {
			s.logger.Error().Err(err).Msg("failed to generate event")
			continue
		}
		g.generated++
		if delay := g.content.lateDelay(s.cfg.LateRatio, s.cfg.Lateness); delay > 0 {
			g.pending = append(g.pending, pendingEvent{due: et.Add(delay), id: id, time: et, raw: raw})
			continue
		}
		fresh = append(fresh, &entry{id: id, time: et, raw: raw})
	}
	sort.SliceStable(g.pending, func(i, j int) bool { return g.pending[i].due.Before(g.pending[j].due) })

	// Merge: a late event goes out before any in-order event newer than
	// its due time. Then no event is ever emitted more than its delay (at
	// most Lateness) behind the newest event before it, however late the
	// tick itself runs on a loaded machine.
	out := make([]*entry, 0, len(fresh))
	j := 0
	for _, e := range fresh {
		for j < len(g.pending) && !g.pending[j].due.After(e.time) {
			out = append(out, g.pending[j].entry())
			j++
		}
		out = append(out, e)
	}
	for j < len(g.pending) && !g.pending[j].due.After(now) {
		out = append(out, g.pending[j].entry())
		j++
	}
	g.pending = g.pending[j:]
	finished := s.cfg.MaxEvents > 0 && g.generated == s.cfg.MaxEvents && len(g.pending) == 0
	s.emit(g, out, now, finished)
}

// emit appends events to the log and the ledger, prunes the log and fans the
// events out to every subscriber, all under s.mu so that a new subscriber's
// replay snapshot and its live stream meet without gap or overlap.
func (s *Server) emit(g *generator, out []*entry, now time.Time, finished bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	for _, e := range out {
		s.emitted++
		e.seq = s.emitted
		s.retained = append(s.retained, e)
		s.ledger = append(s.ledger, e)
	}
	// Trim in bulk, amortising the copy; Ledger hides the surplus.
	if lim := s.cfg.LedgerLimit; lim > 0 && len(s.ledger) >= 2*lim {
		s.ledger = append([]*entry(nil), s.ledger[len(s.ledger)-lim:]...)
	}
	// The log is in emission order, not time order: prune only the prefix
	// that is out of the window. A late event stuck behind a newer one stays
	// a little longer, which is harmless because replays filter by time and
	// never lose an event inside the window.
	cutoff := now.Add(-s.cfg.Retention)
	drop := 0
	for drop < len(s.retained) && s.retained[drop].time.Before(cutoff) {
		drop++
	}
	if drop > 0 {
		s.retained = s.retained[drop:]
	}

	if len(out) > 0 {
		for ss := range s.sessions {
			s.fanOut(g, ss, out)
		}
		close(s.emitSignal)
		s.emitSignal = make(chan struct{})
	}
	if finished {
		select {
		case <-s.done:
		default:
			close(s.done)
		}
	}
}

// fanOut queues events for one subscriber as frames of up to BatchSize. It
// never blocks: a full queue marks the session as too slow.
func (s *Server) fanOut(g *generator, ss *session, events []*entry) {
	if ss.stalled.Load() {
		return
	}
	for len(events) > 0 {
		k := min(len(events), s.cfg.BatchSize)
		f := frame{events: events[:k:k]}
		if k == 1 && g.frameRng.Float64() < s.cfg.SingleObjectRatio {
			f.single = true
		}
		events = events[k:]
		if !ss.enqueue(f) {
			return
		}
	}
}

// snapshot returns the retained events at or after since, in log order.
// Callers hold s.mu.
func (s *Server) snapshotLocked(since time.Time) []*entry {
	var out []*entry
	for _, e := range s.retained {
		if !e.time.Before(since) {
			out = append(out, e)
		}
	}
	return out
}

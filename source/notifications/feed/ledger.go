package feed

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// state is the source's resume state, the checkpoint's State: how far the
// live stream is known complete, and what is still to be back-filled.
type state struct {
	V int `json:"v"`
	// Live is the time before which the live stream missed nothing
	// unreported (notifications.Client.CompleteUntil), as of the
	// checkpoint's prefix: a restart back-fills from it.
	Live time.Time `json:"live"`
	// Gaps are intervals whose conversations are still to be fetched.
	Gaps []gap `json:"gaps,omitempty"`
	// Pending are the conversations to write once they have ended (ids
	// only: a checkpoint stays small with thousands followed), wanted since
	// PendingFrom at the earliest.
	Pending     []string  `json:"pending,omitempty"`
	PendingFrom time.Time `json:"pendingFrom,omitzero"`
}

const stateVersion = 1

// gap is an interval in which events may have been missed.
type gap struct {
	ID     uint64    `json:"id"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
}

// pending is a conversation whose events may have been missed: it is
// written as a conversation-detail record once it has ended.
type pending struct {
	ID    string
	Added time.Time // when it was wanted (after a restart: the restart); GENESYS_BACKFILL_MAX_WAIT runs from here
	// Due is when it is next fetched; Misses how many fetches found it
	// not ended (each doubles the wait, up to maxPollBackoff polls).
	Due    time.Time
	Misses int
}

// maxPollBackoff bounds the wait between two fetches of a conversation
// found not ended, in GENESYS_BACKFILL_POLL periods.
const maxPollBackoff = 16

// parseState reads a checkpoint's State; empty is the zero state.
func parseState(raw json.RawMessage) (state, error) {
	var s state
	if len(raw) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("the checkpoint's notifications state is not readable (%w): reset it with `analytics-bridge checkpoint reset`, knowing that what was not back-filled will not be", err)
	}
	if s.V != stateVersion {
		return s, fmt.Errorf("the checkpoint's notifications state is version %d; this bridge reads version %d", s.V, stateVersion)
	}
	return s, nil
}

// ledger is what is still to do, in two views: `work` (what the back-fill
// loops still have to do, changed at once) and `durable` (what a
// checkpoint of a given prefix must still list). An addition enters both
// at once (listing more than needed only costs a fetch after a restart); a
// removal enters `durable` only once the prefix holds the Output call that
// finished it, so that the records of a back-fill commit with (in the
// same transaction as) the checkpoint that no longer lists their gap.
//
// Marks pair a count of Output calls with the live stream's
// CompleteUntil read before it: every event received before the mark's
// time is among the first n calls.
type ledger struct {
	mu       sync.Mutex
	nextID   uint64
	work     books
	durable  books
	removals []removal // in the order made; n mostly increasing
	marks    []mark    // increasing in n and t
	live     time.Time // durable Live: the latest mark the prefix holds
}

type books struct {
	gaps    map[uint64]gap
	pending map[string]pending
}

func newBooks() books { return books{gaps: map[uint64]gap{}, pending: map[string]pending{}} }

type removal struct {
	n       uint64 // the Output calls that must be in the prefix
	gap     uint64 // a gap's id, or 0
	pending string // a conversation, or ""
}

type mark struct {
	n uint64
	t time.Time
}

// newLedger starts from a checkpoint's state, at now.
func newLedger(s state, now time.Time) *ledger {
	l := &ledger{work: newBooks(), durable: newBooks(), live: s.Live}
	for _, g := range s.Gaps {
		l.nextID = max(l.nextID, g.ID)
		l.work.gaps[g.ID], l.durable.gaps[g.ID] = g, g
	}
	for _, id := range s.Pending {
		p := pending{ID: id, Added: now, Due: now}
		if !s.PendingFrom.IsZero() {
			p.Added = s.PendingFrom // keys kept from then on are found by the next scan
		}
		l.work.pending[id], l.durable.pending[id] = p, p
	}
	return l
}

// addGap records an interval to back-fill.
func (l *ledger) addGap(from, to time.Time, reason string) gap {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextID++
	g := gap{ID: l.nextID, From: from.UTC(), To: to.UTC(), Reason: reason}
	l.work.gaps[g.ID], l.durable.gaps[g.ID] = g, g
	return g
}

// want records a conversation to write once ended. It reports whether it
// was new.
func (l *ledger) want(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.work.pending[id]; ok {
		return false
	}
	p := pending{ID: id, Added: now.UTC(), Due: now.UTC()}
	l.work.pending[id], l.durable.pending[id] = p, p
	return true
}

// ended makes an awaited conversation due at once: discovery saw it end.
func (l *ledger) ended(id string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.work.pending[id]; ok {
		p.Due, p.Misses = now, 0
		l.work.pending[id] = p
	}
}

// notYet records a fetch that found the conversation not ended (or not
// at all): it is due again after poll, doubled for each such fetch.
func (l *ledger) notYet(id string, now time.Time, poll time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.work.pending[id]; ok {
		p.Misses++
		p.Due = now.Add(poll * time.Duration(min(1<<min(p.Misses-1, 5), maxPollBackoff)))
		l.work.pending[id] = p
	}
}

// gapsToFill returns the gaps still to fetch, oldest first.
func (l *ledger) gapsToFill() []gap {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]gap, 0, len(l.work.gaps))
	for _, g := range l.work.gaps {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b gap) int { return a.From.Compare(b.From) })
	return out
}

// duePending returns the conversations awaited that are due by now.
func (l *ledger) duePending(now time.Time) []pending {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []pending
	for _, p := range l.work.pending {
		if !p.Due.After(now) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b pending) int { return a.Added.Compare(b.Added) })
	return out
}

// filled records that gaps were fetched in full, their last record being
// within the first n Output calls.
func (l *ledger) filled(n uint64, ids ...uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		delete(l.work.gaps, id)
		l.removals = append(l.removals, removal{n: n, gap: id})
	}
}

// written records that a conversation was written (or given up), within
// the first n Output calls.
func (l *ledger) written(n uint64, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.work.pending, id)
	l.removals = append(l.removals, removal{n: n, pending: id})
}

// mark records that every event received before t is among the first n
// Output calls.
func (l *ledger) mark(n uint64, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := len(l.marks); k > 0 {
		last := l.marks[k-1]
		if !t.After(last.t) {
			return
		}
		if last.n == n {
			l.marks[k-1].t = t // nothing sent since: the same prefix covers more
			return
		}
	}
	l.marks = append(l.marks, mark{n, t})
}

// settle applies what a prefix of count Output calls holds: the removals
// and marks within it. Called under the core's lock (Position, Horizon).
func (l *ledger) settle(count uint64) {
	keep := l.removals[:0]
	for _, r := range l.removals {
		switch {
		case r.n > count:
			keep = append(keep, r)
		case r.gap != 0:
			delete(l.durable.gaps, r.gap)
		default:
			delete(l.durable.pending, r.pending)
		}
	}
	clear(l.removals[len(keep):])
	l.removals = keep
	i := 0
	for i < len(l.marks) && l.marks[i].n <= count {
		if l.marks[i].t.After(l.live) {
			l.live = l.marks[i].t
		}
		i++
	}
	l.marks = slices.Delete(l.marks, 0, i)
}

// snapshot is the durable state for a prefix of count Output calls, and the
// earliest time it still needs (Live, a gap's start, a conversation's
// since).
func (l *ledger) snapshot(count uint64) (state, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settle(count)
	s := state{V: stateVersion, Live: l.live}
	oldest := l.live
	for _, g := range l.durable.gaps {
		s.Gaps = append(s.Gaps, g)
		if g.From.Before(oldest) {
			oldest = g.From
		}
	}
	for _, p := range l.durable.pending {
		s.Pending = append(s.Pending, p.ID)
		if s.PendingFrom.IsZero() || p.Added.Before(s.PendingFrom) {
			s.PendingFrom = p.Added
		}
	}
	if !s.PendingFrom.IsZero() && s.PendingFrom.Before(oldest) {
		oldest = s.PendingFrom
	}
	slices.SortFunc(s.Gaps, func(a, b gap) int { return a.From.Compare(b.From) })
	slices.Sort(s.Pending)
	return s, oldest
}

// counts reports the work left, for metrics.
func (l *ledger) counts() (gaps, pendingConvs int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.work.gaps), len(l.work.pending)
}

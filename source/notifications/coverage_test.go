package notifications_test

import (
	"slices"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// judgeGaps checks what a fault cost: something was lost (or the test
// proves nothing), every notification of topics was read or falls in a
// reported gap, a gap names reason and covers every topic, and no gap is
// longer than the fault.
func (r *rig) judgeGaps(topics []string, reason string) {
	r.t.Helper()
	// The gap may still be on its way to the handler: wait for it a while.
	deadline := time.Now().Add(testTimeout)
	for len(r.uncovered(topics, time.Time{})) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if r.missed(topics) == 0 {
		r.t.Error("nothing was lost: the test proves nothing")
	}
	if u := r.uncovered(topics, time.Time{}); len(u) != 0 {
		r.t.Errorf("%d notifications neither read nor in a gap; the first published at %s on %s; gaps %+v",
			len(u), u[0].At.Format(time.RFC3339Nano), u[0].Topic, r.rec.gapList())
	}
	if early := r.rec.earlyEvents(); len(early) > 0 {
		r.t.Errorf("%d events handed over before the gap they follow; the first: %s", len(early), early[0])
	}
	found := false
	for _, g := range r.rec.gapList() {
		if strings.Contains(g.Reason, reason) && len(g.Topics) == len(topics) {
			found = true
		}
		if g.To.Sub(g.From) > 2*time.Minute || !g.From.Before(g.To) {
			r.t.Errorf("gap %s to %s (%s): longer than the fault", g.From, g.To, g.Reason)
		}
	}
	if !found {
		r.t.Errorf("gaps %+v: want one of every topic naming %q", r.rec.gapList(), reason)
	}
}

// uncovered is every notification of topics published from `from` on that
// the client neither passed on nor reported inside a gap.
func (r *rig) uncovered(topics []string, from time.Time) []genesys.Published {
	got := r.rec.pairs()
	gaps := r.rec.gapList()
	var out []genesys.Published
	for _, p := range r.kit.Server.Published() {
		if !slices.Contains(topics, p.Topic) || p.At.Before(from) || got[p.Topic+"\x00"+string(p.EventBody)] {
			continue
		}
		covered := false
		for _, g := range gaps {
			if slices.Contains(g.Topics, p.Topic) && !p.At.Before(g.From) && p.At.Before(g.To) {
				covered = true
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}

// missed counts the notifications of topics the stand-in published to a
// channel without a socket, or to a socket the client never read: what
// only a gap can account for.
func (r *rig) missed(topics []string) int {
	got := r.rec.pairs()
	n := 0
	for _, p := range r.kit.Server.Published() {
		if slices.Contains(topics, p.Topic) && !got[p.Topic+"\x00"+string(p.EventBody)] {
			n++
		}
	}
	return n
}

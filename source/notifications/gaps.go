package notifications

import (
	"slices"
	"strings"
	"time"
)

// gapStart is where a topic's open gap began, and why.
type gapStart struct {
	from   time.Time
	reason string
}

// openGap starts topic's gap at from, unless one is open already (the
// earlier start stands).
func (k *keeper) openGap(topic string, from time.Time, reason string) {
	if g, ok := k.open[topic]; ok && !from.Before(g.from) {
		return
	}
	k.open[topic] = gapStart{from: from, reason: reason}
	k.lowerFloor(from)
}

// closeGaps ends the open gaps of topics at `at`, the moment they are read
// again, and reports them: one Gap per start and reason.
func (k *keeper) closeGaps(topics []string, at time.Time) error {
	type key struct {
		from   time.Time
		reason string
	}
	groups := map[key][]string{}
	for _, t := range topics {
		g, ok := k.open[t]
		if !ok {
			continue
		}
		delete(k.open, t)
		kk := key{g.from.UTC().Truncate(time.Millisecond), g.reason}
		groups[kk] = append(groups[kk], t)
	}
	to := at.UTC().Truncate(time.Millisecond).Add(time.Millisecond)
	keys := make([]key, 0, len(groups))
	for kk := range groups {
		keys = append(keys, kk)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := a.from.Compare(b.from); c != 0 {
			return c
		}
		return strings.Compare(a.reason, b.reason)
	})
	for _, kk := range keys {
		if !kk.from.Before(to) {
			continue
		}
		ts := groups[kk]
		slices.Sort(ts)
		g := &Gap{From: kk.from, To: to, Topics: ts, Reason: kk.reason}
		ev := k.log.Warn()
		if kk.reason == reasonLate {
			ev = k.log.Debug() // every topic discovered after its object appeared: routine
		}
		ev.Time("from", g.From).Time("to", g.To).Int("topics", len(ts)).Str("reason", g.Reason).Msg("gap: events of these topics may have been missed")
		if err := k.send(item{slot: k.slot, gap: g}); err != nil {
			return err
		}
	}
	return nil
}

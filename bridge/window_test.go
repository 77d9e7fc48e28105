package bridge

import (
	"testing"
	"time"
)

func TestDedupWindowPrunesOnlyOldKeys(t *testing.T) {
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	w := newMapWindow()
	w.add("scanned", base)
	w.add("old", base.Add(time.Second))
	w.add("late", base.Add(10*time.Second))
	w.add("old2", base.Add(2*time.Second)) // arrived after a newer one
	w.prune(base.Add(5 * time.Second))
	for key, want := range map[string]bool{"scanned": false, "old": false, "late": true} {
		if w.seen(key) != want {
			t.Errorf("seen(%q) = %v, want %v", key, !want, want)
		}
	}
	// Pruning walks arrival order and stops at the first newer key: a key
	// behind it waits for a later prune rather than being skipped wrongly.
	w.prune(base.Add(11 * time.Second))
	if w.len() != 0 {
		t.Errorf("%d keys left after pruning past all of them", w.len())
	}
}

// TestInstantOrdersAsTime: the window's instants order as the event times
// they stand for, over the whole range of event times (years 0000-9999).
func TestInstantOrdersAsTime(t *testing.T) {
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0).UTC(),
		time.Unix(0, 1).UTC(),
		time.Date(2026, 11, 29, 13, 50, 11, 123000000, time.UTC),
		time.Date(2026, 11, 29, 13, 50, 11, 123000001, time.UTC),
		time.Date(2026, 11, 29, 13, 50, 12, 0, time.UTC),
		time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), // past UnixNano's range
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, a := range times {
		for _, b := range times {
			if got, want := instantOf(a).before(instantOf(b)), a.Before(b); got != want {
				t.Errorf("instant(%s).before(instant(%s)) = %v, want %v", a, b, got, want)
			}
		}
	}
}

package feed

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// A gap leaves the checkpoint only with a prefix that holds the call of
// its last record; an addition is listed at once.
func TestLedgerRemovesOnlyWithThePrefix(t *testing.T) {
	l := newLedger(state{Live: at(0)}, at(0))
	g := l.addGap(at(10), at(20), "socket ended")
	if !l.want("c1", at(15)) || l.want("c1", at(16)) {
		t.Fatal("want: the first call is new, the second is not")
	}
	s, oldest := l.snapshot(0)
	if len(s.Gaps) != 1 || !slices.Equal(s.Pending, []string{"c1"}) || !oldest.Equal(at(0)) {
		t.Fatalf("before any back-fill: %+v, oldest %v", s, oldest)
	}

	l.filled(7, g.ID)
	l.written(9, "c1")
	if got := l.gapsToFill(); len(got) != 0 {
		t.Fatalf("the filled gap is still to fill: %+v", got)
	}
	if s, _ := l.snapshot(6); len(s.Gaps) != 1 || len(s.Pending) != 1 {
		t.Fatalf("prefix of 6 calls, the gap's last record is the 7th: %+v", s)
	}
	if s, _ := l.snapshot(8); len(s.Gaps) != 0 || len(s.Pending) != 1 {
		t.Fatalf("prefix of 8 calls: the gap is done, c1 (9th) is not: %+v", s)
	}
	if s, _ := l.snapshot(9); len(s.Gaps) != 0 || len(s.Pending) != 0 {
		t.Fatalf("prefix of 9 calls: all done: %+v", s)
	}
}

// Live follows the latest mark the prefix holds, never one past it.
func TestLedgerLiveFollowsMarksWithinThePrefix(t *testing.T) {
	l := newLedger(state{Live: at(0)}, at(0))
	l.mark(2, at(5))
	l.mark(2, at(6)) // nothing sent since: the same prefix covers more
	l.mark(5, at(9))
	l.mark(5, at(8)) // earlier: ignored
	for _, c := range []struct {
		count uint64
		live  time.Time
	}{{0, at(0)}, {1, at(0)}, {2, at(6)}, {4, at(6)}, {5, at(9)}, {3, at(9)}} {
		s, oldest := l.snapshot(c.count)
		if !s.Live.Equal(c.live) || !oldest.Equal(c.live) {
			t.Errorf("prefix of %d calls: live %v oldest %v, want %v", c.count, s.Live, oldest, c.live)
		}
	}
}

// The state round-trips through the checkpoint; awaited conversations come
// back with PendingFrom as their time, so the next scan reaches their keys.
func TestLedgerStateRoundTrip(t *testing.T) {
	l := newLedger(state{Live: at(0)}, at(0))
	l.addGap(at(10), at(20), "channel replaced")
	l.want("c2", at(30))
	l.want("c1", at(25))
	l.mark(0, at(40))
	s, oldest := l.snapshot(0)
	if !oldest.Equal(at(10)) || !s.PendingFrom.Equal(at(25)) || !slices.Equal(s.Pending, []string{"c1", "c2"}) {
		t.Fatalf("snapshot %+v oldest %v", s, oldest)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseState(raw)
	if err != nil {
		t.Fatal(err)
	}
	l2 := newLedger(back, at(100))
	s2, oldest2 := l2.snapshot(0)
	if !oldest2.Equal(oldest) || !s2.Live.Equal(at(40)) || len(s2.Gaps) != 1 || !s2.PendingFrom.Equal(at(25)) {
		t.Fatalf("after a round trip: %+v oldest %v", s2, oldest2)
	}
	if g := l2.addGap(at(50), at(60), "x"); g.ID <= s.Gaps[0].ID {
		t.Errorf("a new gap reuses id %d", g.ID)
	}
	if _, err := parseState([]byte(`{"v":9}`)); err == nil {
		t.Error("a state of another version was read")
	}
	if _, err := parseState([]byte(`not json`)); err == nil {
		t.Error("an unreadable state was read")
	}
}

// An awaited conversation found not ended waits twice as long each time,
// up to maxPollBackoff polls; seen ending, it is due at once.
func TestLedgerPendingBackoff(t *testing.T) {
	l := newLedger(state{Live: at(0)}, at(0))
	l.want("c", at(0))
	poll := time.Minute
	now := at(0)
	var waits []time.Duration
	for range 7 {
		due := l.duePending(now)
		if len(due) != 1 {
			t.Fatalf("at %v: %d due, want the one", now, len(due))
		}
		l.notYet("c", now, poll)
		next := l.work.pending["c"].Due
		if len(l.duePending(next.Add(-time.Nanosecond))) != 0 {
			t.Fatalf("due before its time %v", next)
		}
		waits = append(waits, next.Sub(now))
		now = next
	}
	want := []time.Duration{1, 2, 4, 8, 16, 16, 16}
	for i := range want {
		if waits[i] != want[i]*poll {
			t.Fatalf("waits %v, want %v polls", waits, want)
		}
	}
	l.ended("c", now.Add(time.Second))
	if len(l.duePending(now.Add(time.Second))) != 1 {
		t.Error("a conversation seen ending is not due at once")
	}
}

// A gap is fetched widened by Latency: it finds again a conversation
// written (kept by its fetch time) just before the gap began. The
// position's Since, where the next epoch's scan starts, must reach back to
// that record, or a restart writes it twice (the demo found this).
func TestPositionReachesBackOverAGapsWidening(t *testing.T) {
	st := &stream{src: &Source{opts: Options{Latency: 30 * time.Second}}, led: newLedger(state{Live: at(0)}, at(0))}
	st.led.mark(0, at(100))
	fetched := at(95) // a conversation that ended at 94 s, written by id
	st.led.addGap(at(110), at(120), "channel evicted")
	widenedFrom := at(110).Add(-30 * time.Second)
	if !widenedFrom.Before(fetched) {
		t.Fatal("the setup is wrong: the widened gap must reach the record")
	}
	p := st.Position(source.Progress{})
	if p.Since.After(fetched) {
		t.Fatalf("Since %v is after the record fetched at %v that the gap's fetch finds again", p.Since, fetched)
	}
	if h := st.Horizon(source.Progress{}); !h.Equal(p.Since) {
		t.Errorf("Horizon %v differs from Since %v", h, p.Since)
	}
}

package bridge

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tidwall/gjson"
)

func TestDedupKey(t *testing.T) {
	content, err := ContentKey([]byte(`{"b":1,"a":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, event, idPath, want string
	}{
		{"string id", `{"id":"e-1","a":"x"}`, "id", "e-1"},
		{"numeric id", `{"id":42}`, "id", "42"},
		{"empty id", `{"b":1,"a":"x","id":""}`, "id", ""},
		{"null id", `{"b":1,"a":"x","id":null}`, "id", ""},
		{"no id", `{"b":1,"a":"x"}`, "id", content},
		{"re-serialised", "{ \"a\" : \"x\",\n \"b\" : 1 }", "id", content},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dedupKey([]byte(tt.event), gjson.Get(tt.event, tt.idPath))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if !strings.HasPrefix(got, "sha256:") {
					t.Errorf("dedupKey = %q, want a content key for an unusable id", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("dedupKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPruneBefore(t *testing.T) {
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := func(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }
	const lateness = 2 * time.Second
	tests := []struct {
		name                     string
		since, connSince, connHi time.Time
		want                     time.Time
	}{
		{"current connection still replays from an old since", s(100), s(50), s(51), s(50 - 2)},
		{"current connection caught up", s(100), s(50), s(200), s(100 - 2)},
		{"connection horizon between", s(100), s(50), s(90), s(88 - 2)},
	}
	for _, tt := range tests {
		if got := pruneBefore(tt.since, tt.connSince, tt.connHi, lateness); !got.Equal(tt.want) {
			t.Errorf("%s: pruneBefore = %s, want %s", tt.name, got.Sub(base), tt.want.Sub(base))
		}
	}
}

func TestDedupWindowPrunesOnlyOldKeys(t *testing.T) {
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	w := newDedupWindow(map[string]time.Time{"scanned": base})
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

func TestCollectKeepsOnlyOurRecentKeys(t *testing.T) {
	since := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	headers := func(bridge, key string, at time.Time) []kafka.Header {
		return []kafka.Header{{Key: HeaderBridge, Value: []byte(bridge)}, {Key: HeaderDedupKey, Value: []byte(key)},
			{Key: HeaderEventTime, Value: []byte(at.Format(time.RFC3339Nano))}}
	}
	res := scanResult{delivered: map[string]time.Time{}}
	collect(headers("b", "new", since.Add(time.Second)), "b", since, &res)
	collect(headers("b", "at-since", since), "b", since, &res)
	collect(headers("b", "old", since.Add(-time.Second)), "b", since, &res)
	collect(headers("other", "theirs", since.Add(2*time.Second)), "b", since, &res)
	collect([]kafka.Header{{Key: HeaderBridge, Value: []byte("b")}}, "b", since, &res) // a gap marker
	if len(res.delivered) != 2 || res.delivered["new"].IsZero() || res.delivered["at-since"].IsZero() {
		t.Errorf("delivered = %v, want new and at-since", res.delivered)
	}
	if !res.latest.Equal(since.Add(time.Second)) {
		t.Errorf("latest = %s, want our newest event time", res.latest)
	}
}

func TestScanSnapshotsPickTheNewestOlderThanSince(t *testing.T) {
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var s scanSnapshots
	s.take(base, map[int]int64{0: 10})
	s.take(base, map[int]int64{0: 10}) // unchanged: not a new snapshot
	s.take(base.Add(5*time.Second), map[int]int64{0: 20})
	s.take(base.Add(9*time.Second), map[int]int64{0: 30})
	if len(s) != 3 {
		t.Fatalf("%d snapshots, want 3", len(s))
	}
	current := map[int]int64{0: 1}
	if got := s.scanFrom(base, current); got[0] != 1 {
		t.Errorf("no snapshot older than since: got %v, want the current scan offsets", got)
	}
	if got := s.scanFrom(base.Add(6*time.Second), current); got[0] != 20 {
		t.Errorf("scanFrom = %v, want the snapshot at 20", got)
	}
	if len(s) != 2 {
		t.Errorf("%d snapshots kept, want 2 (older ones dropped)", len(s))
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

package bridge

import (
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

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
	ends := func(events, deadLetters int64) [numOutputs]map[int]int64 {
		return [numOutputs]map[int]int64{{0: events}, {0: deadLetters}}
	}
	s.take(base, ends(10, 1))
	s.take(base, ends(10, 1)) // unchanged: not a new snapshot
	s.take(base.Add(5*time.Second), ends(20, 2))
	s.take(base.Add(9*time.Second), ends(30, 2))
	if len(s) != 3 {
		t.Fatalf("%d snapshots, want 3", len(s))
	}
	current := ends(1, 0)
	if got := s.scanFrom(base, current); got[outEvents][0] != 1 || got[outDeadLetters][0] != 0 {
		t.Errorf("no snapshot older than since: got %v, want the current scan offsets", got)
	}
	if got := s.scanFrom(base.Add(6*time.Second), current); got[outEvents][0] != 20 || got[outDeadLetters][0] != 2 {
		t.Errorf("scanFrom = %v, want the snapshot at 20 and 2", got)
	}
	if len(s) != 2 {
		t.Errorf("%d snapshots kept, want 2 (older ones dropped)", len(s))
	}
}

package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/segmentio/kafka-go"
)

func TestCollectKeepsOnlyOurRecentKeys(t *testing.T) {
	since := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	headers := func(bridge, key string, at time.Time) []kafka.Header {
		return []kafka.Header{{Key: HeaderBridge, Value: []byte(bridge)}, {Key: HeaderDedupKey, Value: []byte(key)},
			{Key: HeaderEventTime, Value: []byte(at.Format(time.RFC3339Nano))}}
	}
	w := newMapWindow()
	res := scanResult{window: w}
	collect(headers("b", "new", since.Add(time.Second)), "b", since, &res)
	collect(headers("b", "at-since", since), "b", since, &res)
	collect(headers("b", "old", since.Add(-time.Second)), "b", since, &res)
	collect(headers("other", "theirs", since.Add(2*time.Second)), "b", since, &res)
	collect([]kafka.Header{{Key: HeaderBridge, Value: []byte("b")}}, "b", since, &res) // a gap marker
	if res.delivered != 2 || w.len() != 2 || !w.seen("new") || !w.seen("at-since") {
		t.Errorf("delivered %d, window %v, want new and at-since", res.delivered, w.keys)
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

// A record of a source that keeps its keys by when it read them (a queue)
// is rebuilt by bridge-key-time, whatever its event time: an event from
// days ago, read a second ago, must stay in the window.
func TestCollectKeepsKeysByTheirKeyTime(t *testing.T) {
	horizon := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	at := func(t time.Time) []byte { return []byte(t.Format(time.RFC3339Nano)) }
	old := horizon.Add(-72 * time.Hour)
	w := newMapWindow()
	res := scanResult{window: w}
	collect([]kafka.Header{{Key: HeaderBridge, Value: []byte("b")}, {Key: HeaderDedupKey, Value: []byte("late")},
		{Key: HeaderEventTime, Value: at(old)}, {Key: HeaderKeyTime, Value: at(horizon.Add(time.Second))}}, "b", horizon, &res)
	collect([]kafka.Header{{Key: HeaderBridge, Value: []byte("b")}, {Key: HeaderKeyTime, Value: at(horizon.Add(-time.Second))},
		{Key: HeaderDedupKey, Value: []byte("gone")}, {Key: HeaderEventTime, Value: at(horizon.Add(time.Hour))}}, "b", horizon, &res)
	if w.len() != 1 || w.keys["late"] != instantOf(horizon.Add(time.Second)) {
		t.Errorf("window %v, want only late, kept by its key time", w.keys)
	}
}

// The writer keeps an event's key by its KeyTime, and says so in the
// record, so that the two agree after a restart.
func TestWriterKeepsKeysByKeyTime(t *testing.T) {
	const topic = "events"
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	br := &Bridge{cfg: config.Config{BridgeName: "b", KafkaTopic: topic, KafkaDLQTopic: topic + ".dlq", BatchBytes: 1 << 20}, fresh: newFreshness()}
	br.metrics = newMetrics(nil, br.fresh)
	tr := newTracker(lateStream{base, 0}, checkpoint.Position{Bridge: "b", Topic: topic, Source: "test", Since: base},
		sink.NewInFlight(10, 1<<30), scanned(nil, time.Time{}, map[int]int64{0: 0}))
	q := &recordingQueue{ackingQueue: ackingQueue{tr: tr}}
	w := newWriter(br, tr, q, map[string]int{topic: 1, topic + ".dlq": 1})
	ev := source.Event{Raw: []byte(`{}`), Time: base.Add(-72 * time.Hour), KeyTime: base.Add(time.Minute), DedupKey: "late"}
	if err := w.Event(t.Context(), &ev); err != nil {
		t.Fatal(err)
	}
	tr.prune() // the horizon is the base: an event time 72 h before it would go
	if !tr.seen("late") {
		t.Error("the key went by its event time, not its key time")
	}
	if got := header(q.sent[0], HeaderKeyTime); got != base.Add(time.Minute).Format(time.RFC3339Nano) {
		t.Errorf("%s = %q", HeaderKeyTime, got)
	}
}

type recordingQueue struct {
	ackingQueue
	sent []*sink.Record
}

func (q *recordingQueue) Send(ctx context.Context, r *sink.Record) error {
	q.sent = append(q.sent, r)
	return q.ackingQueue.Send(ctx, r)
}

func header(r *sink.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// A dead letter without an event time, read while the stream catches up
// days behind the wall clock, must not hold the dedup window (pruned in
// arrival order) nor the scan offsets at now.
func TestTimelessDeadLetterFollowsTheStreamClock(t *testing.T) {
	const topic = "events"
	base := time.Now().Add(-48 * time.Hour).UTC()
	br := &Bridge{cfg: config.Config{BridgeName: "b", KafkaTopic: topic, KafkaDLQTopic: topic + ".dlq", BatchBytes: 1 << 20}, fresh: newFreshness()}
	br.metrics = newMetrics(nil, br.fresh)
	tr := newTracker(lateStream{base, 0}, checkpoint.Position{Bridge: "b", Topic: topic, Source: "test", Since: base, ScanFrom: map[int]int64{0: 0}},
		sink.NewInFlight(100000, 1<<30), scanned(nil, time.Time{}, map[int]int64{0: 0}))
	q := &recordingQueue{ackingQueue: ackingQueue{tr: tr}}
	w := newWriter(br, tr, q, map[string]int{topic: 1, topic + ".dlq": 1})
	write := func(from, n int) {
		for i := from; i < from+n; i++ {
			ev := source.Event{Raw: []byte(`{}`), Time: base.Add(time.Duration(i) * time.Second), DedupKey: fmt.Sprint("e", i)}
			if err := w.Event(t.Context(), &ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 100)
	if err := w.DeadLetter(t.Context(), &source.DeadLetter{Raw: []byte(`{"no":"time"}`), Reason: "no time"}); err != nil {
		t.Fatal(err)
	}
	for from := 100; from < 1100; from += 100 {
		write(from, 100)
		tr.position(time.Now()) // a checkpoint every 100 events
	}
	tr.prune()
	if _, keys := tr.stats(); keys > 10 {
		t.Errorf("%d keys left in the window after pruning: the timeless dead letter holds it", keys)
	}
	dl := q.sent[100]
	if got := header(dl, HeaderEventTime); got != base.Add(99*time.Second).Format(time.RFC3339Nano) {
		t.Errorf("the dead letter's %s is %s, want the latest event time before it", HeaderEventTime, got)
	}
	if p := tr.position(time.Now()); p.ScanFrom[0] < 900 {
		t.Errorf("ScanFrom %v stays behind the dead letter", p.ScanFrom)
	}
}

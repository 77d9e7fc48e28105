package bridge

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/source"
)

var t0 = time.Date(2020, 1, 2, 10, 0, 0, 0, time.UTC) // in the past: see TestTrackerCapsFutureEventTimes

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// lateStream is a source's stream as the tracker sees it: it resumes at the
// acknowledged high water less a lateness, never before its base or a
// settled gap, and needs keys back to one more lateness before that.
type lateStream struct {
	base     time.Time
	lateness time.Duration
}

func (s lateStream) Run(context.Context, source.Output) error { return nil }

func (s lateStream) Position(p source.Progress) source.Position {
	since := p.HighWater.Add(-s.lateness)
	for _, floor := range []time.Time{s.base, p.Settled} {
		if since.Before(floor) {
			since = floor
		}
	}
	high := p.HighWater
	if high.Before(s.base) {
		high = s.base
	}
	return source.Position{Since: since, HighWater: high}
}

func (lateStream) Close(context.Context) error { return nil }

func (s lateStream) Horizon(p source.Progress) time.Time {
	return s.Position(p).Since.Add(-s.lateness)
}

// add registers an event record the way the writer does: slot first.
func add(t *testing.T, tr *tracker, tm time.Time, key string, partition int) uint64 {
	t.Helper()
	if err := tr.acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	return tr.begin(entry{time: tm, arrived: time.Now(), key: key, output: outEvents, partition: partition, size: 1})
}

func newTestTracker(lateness time.Duration) *tracker {
	base := checkpoint.Position{Bridge: "b", Topic: "t", Source: "test", Since: at(0), HighWater: at(0), ScanFrom: map[int]int64{0: 5}}
	return newTracker(lateStream{at(0), lateness}, base, sink.NewInFlight(100, 1<<30), scanned(nil, time.Time{}, map[int]int64{0: 5}))
}

// scanned is what a scan of the event topic found.
func scanned(keys map[string]time.Time, latest time.Time, end map[int]int64) scanResult {
	w := newMapWindow()
	for k, tm := range keys {
		w.add(k, tm)
	}
	return scanResult{window: w, delivered: len(keys), latest: latest, end: [numOutputs]map[int]int64{end, {}}}
}

func TestTrackerAdvancesOnlyOverTheAcknowledgedPrefix(t *testing.T) {
	tr := newTestTracker(2 * time.Second)
	s1 := add(t, tr, at(10), "a", 0)
	s2 := add(t, tr, at(20), "b", 0)
	s3 := add(t, tr, at(30), "c", 0)

	tr.complete(s3, 7, nil) // out of order: says nothing about a and b
	if p := tr.position(t0); !p.HighWater.Equal(at(0)) || !p.Since.Equal(at(0)) {
		t.Fatalf("after an out-of-order ack: high water %v since %v, want both %v", p.HighWater, p.Since, at(0))
	}
	tr.complete(s1, 5, nil)
	if p := tr.position(t0); !p.HighWater.Equal(at(10)) || !p.Since.Equal(at(8)) {
		t.Fatalf("after a: high water %v since %v, want %v and %v", p.HighWater, p.Since, at(10), at(8))
	}
	tr.complete(s2, 6, nil)
	p := tr.position(t0)
	if !p.HighWater.Equal(at(30)) || !p.Since.Equal(at(28)) {
		t.Fatalf("after all: high water %v since %v", p.HighWater, p.Since)
	}
}

func TestTrackerSettlesOnlyOnceTheGapMarkerIsAcknowledged(t *testing.T) {
	tr := newTestTracker(time.Minute)
	s := add(t, tr, at(10), "a", 0)
	tr.complete(s, 5, nil)
	if got := tr.position(t0).Since; !got.Equal(at(0)) {
		t.Errorf("since %v went below the base %v", got, at(0))
	}
	_ = tr.acquire(context.Background(), 1)
	marker := tr.beginGap(at(500), 0, 1)
	var settled time.Time
	tr.observe(func(p source.Progress) { settled = p.Settled })
	if !settled.IsZero() {
		t.Errorf("settled %v before the gap marker was written", settled)
	}
	if got := tr.position(t0).Since; !got.Equal(at(0)) {
		t.Errorf("checkpoint since %v moved past the gap before its marker was written", got)
	}
	tr.complete(marker, 6, nil)
	tr.observe(func(p source.Progress) { settled = p.Settled })
	if !settled.Equal(at(500)) {
		t.Errorf("settled %v, want the gap's end %v once the marker is acknowledged", settled, at(500))
	}
	if got := tr.position(t0).Since; !got.Equal(at(500)) {
		t.Errorf("since %v, want the gap's end %v", got, at(500))
	}
}

func TestTrackerFailureFreezesThePrefix(t *testing.T) {
	tr := newTestTracker(0)
	s1 := add(t, tr, at(10), "a", 0)
	s2 := add(t, tr, at(20), "b", 0)
	s3 := add(t, tr, at(30), "c", 0)
	tr.complete(s1, 5, nil)
	boom := errors.New("connection reset")
	tr.complete(s2, -1, boom)
	tr.complete(s3, 7, nil) // written, but after an unknown outcome
	select {
	case <-tr.failedCh():
	default:
		t.Fatal("failure not signalled")
	}
	if !errors.Is(tr.err(), boom) {
		t.Errorf("err = %v", tr.err())
	}
	if p := tr.position(t0); !p.HighWater.Equal(at(10)) {
		t.Errorf("high water %v moved past the failure", p.HighWater)
	}
}

func TestTrackerDuplicatesJoinThePrefix(t *testing.T) {
	tr := newTestTracker(0)
	s1 := add(t, tr, at(10), "a", 0)
	if !tr.seen("a") || tr.seen("b") {
		t.Fatal("seen is wrong")
	}
	tr.duplicate(at(15), nil, 0) // behind a pending record: must wait for it
	if p := tr.position(t0); !p.HighWater.Equal(at(0)) {
		t.Fatalf("duplicate jumped the queue: %v", p.HighWater)
	}
	tr.complete(s1, 5, nil)
	if p := tr.position(t0); !p.HighWater.Equal(at(15)) {
		t.Errorf("high water %v, want %v", p.HighWater, at(15))
	}
}

func TestTrackerScanFromCoversEverythingAtOrAfterSince(t *testing.T) {
	// Records are written in arrival order; the lateness window decides which
	// offsets a restart must rescan.
	tr := newTestTracker(5 * time.Second)
	times := []float64{10, 11, 12, 20, 21, 22, 30}
	for i, s := range times {
		seq := add(t, tr, at(s), string(rune('a'+i)), 0)
		tr.complete(seq, int64(5+i), nil)
		tr.position(t0) // a checkpoint tick after every record
	}
	p := tr.position(t0) // since = 30 - 5 = 25
	if !p.Since.Equal(at(25)) {
		t.Fatalf("since %v", p.Since)
	}
	// Offsets 5..10 hold times 10..22 (< 25); offset 11 holds 30.
	if got := p.ScanFrom[0]; got != 11 {
		t.Errorf("ScanFrom = %d, want 11 (first record at or after since)", got)
	}
	// A scan from there must find every record with time >= since: check
	// against the written log.
	for i, s := range times {
		if off := int64(5 + i); !at(s).Before(p.Since) && off < p.ScanFrom[0] {
			t.Errorf("record at %d (t=%v) is below ScanFrom %d", off, s, p.ScanFrom[0])
		}
	}
}

func TestTrackerScanFromStaysWhileScannedRecordsAreRecent(t *testing.T) {
	// The scan at epoch start found one of our records at t=50 (written
	// before a failure), above since: ScanFrom must not pass it until since
	// does.
	base := checkpoint.Position{Bridge: "b", Topic: "t", Source: "test", Since: at(10), HighWater: at(12), ScanFrom: map[int]int64{0: 100}}
	tr := newTracker(lateStream{at(10), 2 * time.Second}, base, sink.NewInFlight(10, 1<<30), scanned(map[string]time.Time{"x": at(50)}, at(50), map[int]int64{0: 120}))
	seq := add(t, tr, at(30), "y", 0)
	tr.complete(seq, 120, nil)
	if p := tr.position(t0); p.ScanFrom[0] != 100 {
		t.Fatalf("ScanFrom = %d, want the base 100 while since %v <= 50", p.ScanFrom[0], p.Since)
	}
	if !tr.seen("x") {
		t.Error("scanned key forgotten while a replay can still resend it")
	}
	seq = add(t, tr, at(60), "z", 0)
	tr.complete(seq, 121, nil)
	if p := tr.position(t0); p.ScanFrom[0] != 121 {
		t.Errorf("ScanFrom = %d, want 121 once since %v passed 50 and 30", p.ScanFrom[0], p.Since)
	}
}

func TestTrackerPrunesOldKeys(t *testing.T) {
	// The checkpoint's position prunes, and so does prune alone (between
	// checkpoints without transactions), by the same rule.
	for name, prune := range map[string]func(*tracker){
		"position": func(tr *tracker) { tr.position(t0) },
		"prune":    func(tr *tracker) { tr.prune() },
	} {
		t.Run(name, func(t *testing.T) {
			tr := newTestTracker(time.Second)
			for i := 0; i < 100; i++ {
				seq := add(t, tr, at(float64(i)), string(rune(1000+i)), 0)
				tr.complete(seq, int64(i), nil)
			}
			prune(tr) // since = 98, keys before 97 go
			_, delivered := tr.stats()
			if delivered != 3 {
				t.Errorf("delivered keys = %d, want 3 (times 97..99)", delivered)
			}
			if !tr.seen(string(rune(1000+97))) || tr.seen(string(rune(1000+96))) {
				t.Error("wrong keys pruned")
			}
		})
	}
}

func TestTrackerBoundsInFlight(t *testing.T) {
	base := checkpoint.Position{Bridge: "b", Topic: "t", Source: "test", Since: at(0)}
	tr := newTracker(lateStream{at(0), 0}, base, sink.NewInFlight(2, 1<<30), scanned(nil, time.Time{}, nil))
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		add(t, tr, at(1), string(rune('a'+i)), 0)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := tr.acquire(short, 1); err == nil {
		t.Fatal("third acquire succeeded past the bound")
	}
	tr.complete(0, 1, nil)
	if err := tr.acquire(ctx, 1); err != nil {
		t.Fatalf("acquire after an ack: %v", err)
	}
}

func TestTrackerWithdraw(t *testing.T) {
	tr := newTestTracker(0)
	s1 := add(t, tr, at(1), "a", 0)
	s2 := add(t, tr, at(2), "b", 0)
	tr.withdraw(s2, "b")
	if tr.seen("b") {
		t.Error("withdrawn key still seen")
	}
	if pending, _ := tr.stats(); pending != 1 {
		t.Errorf("pending after withdraw = %d, want 1", pending)
	}
	tr.complete(s1, 5, nil)
	if pending, _ := tr.stats(); pending != 0 {
		t.Errorf("pending after the last ack = %d, want 0", pending)
	}
}

func TestTrackerAcknowledgesUpstreamOnlyWhenCommittedAndInOrder(t *testing.T) {
	tr := newTestTracker(0)
	acks := &recordingAcker{}
	seq := func(tm float64, key string, id uint64) uint64 {
		_ = tr.acquire(context.Background(), 1)
		return tr.begin(entry{time: at(tm), arrived: time.Now(), key: key, output: outEvents, size: 1, ack: acks, ackID: id})
	}
	s1 := seq(1, "a", 1)
	tr.duplicate(at(1), acks, 2) // a redelivery of a while a is in flight
	s3 := seq(2, "c", 3)
	tr.complete(s3, 6, nil)
	tr.committed()
	if len(acks.ids) != 0 {
		t.Fatalf("acknowledged %v upstream before the first record was written", acks.ids)
	}
	tr.complete(s1, 5, nil)
	if len(acks.ids) != 0 {
		t.Fatalf("acknowledged %v upstream before the commit", acks.ids)
	}
	tr.committed()
	if want := []uint64{1, 2, 3}; !slices.Equal(acks.ids, want) {
		t.Errorf("acknowledged %v, want %v in arrival order", acks.ids, want)
	}
	// A failure freezes the prefix: what was popped before it is the
	// commit mode's to release (without transactions Kafka already holds
	// it; with, only a successful commit calls committed), what completes
	// after it never is.
	s4 := seq(3, "d", 4)
	s5 := seq(4, "e", 5)
	tr.complete(s4, 7, nil)
	tr.fail(errors.New("a write failed"))
	tr.complete(s5, 8, nil)
	tr.committed()
	if want := []uint64{1, 2, 3, 4}; !slices.Equal(acks.ids, want) {
		t.Errorf("acknowledged %v, want %v: the prefix before the failure, nothing after", acks.ids, want)
	}
}

// A dead letter without an event time is kept by the stream's clock, the
// latest event time registered, not by the wall clock: a stream catching
// up days behind must not hold its dedup window and scan offsets at now.
func TestTrackerEventClockFollowsTheStream(t *testing.T) {
	tr := newTestTracker(0)
	if got := tr.eventClock(); !got.Equal(at(0)) {
		t.Errorf("before any event: %v, want the base since", got)
	}
	add(t, tr, at(10), "a", 0)
	tr.duplicate(at(12), nil, 0)
	add(t, tr, at(11), "b", 0)
	if got := tr.eventClock(); !got.Equal(at(12)) {
		t.Errorf("event clock %v, want the latest event time %v", got, at(12))
	}
}

type recordingAcker struct{ ids []uint64 }

func (a *recordingAcker) Committed(id uint64) { a.ids = append(a.ids, id) }

func TestTrackerTracksDeadLettersForTheirOwnScan(t *testing.T) {
	tr := newTestTracker(0)
	_ = tr.acquire(context.Background(), 1)
	s := tr.begin(entry{time: at(5), arrived: time.Now(), key: "dlq:x", output: outDeadLetters, partition: 1, size: 1})
	tr.complete(s, 41, nil)
	if !tr.seen("dlq:x") {
		t.Error("a dead letter's key is not in the window")
	}
	if p := tr.position(t0); p.DLQScanFrom[1] != 0 && p.DLQScanFrom[1] != 42 {
		t.Errorf("DLQScanFrom = %v", p.DLQScanFrom)
	}
	if got := tr.end[outDeadLetters][1]; got != 42 {
		t.Errorf("dead-letter end offset %d, want 42", got)
	}
}

// An event dated in the future must not move since past the bridge's now,
// but a scan must still find it (below keeps its real time).
func TestTrackerCapsFutureEventTimes(t *testing.T) {
	tr := newTestTracker(0)
	future := time.Now().Add(time.Hour)
	seq := add(t, tr, future, "f", 0)
	tr.complete(seq, 5, nil)
	p := tr.position(time.Now())
	if p.HighWater.After(time.Now()) {
		t.Fatalf("high water %v is in the future", p.HighWater)
	}
	if p.ScanFrom[0] != 5 {
		t.Errorf("ScanFrom = %d: the future record at offset 5 must stay in the scan", p.ScanFrom[0])
	}
}

// lateSource resumes lateStreams: the source of tests that need no upstream.
type lateSource struct{ lateness time.Duration }

func (lateSource) Name() string { return "test" }

func (s lateSource) Resume(cp source.Checkpoint) (source.Stream, error) {
	return lateStream{cp.Since, s.lateness}, nil
}

// Count is the number of the stream's Output calls the prefix holds, in
// arrival order: writes, dropped duplicates and gap markers alike, and
// nothing acknowledged behind a hole.
func TestTrackerCountsTheCallsInThePrefix(t *testing.T) {
	tr := newTestTracker(0)
	count := func() uint64 {
		var n uint64
		tr.observe(func(p source.Progress) { n = p.Count })
		return n
	}
	s1 := add(t, tr, at(10), "a", 0)
	tr.duplicate(at(11), nil, 0)
	if err := tr.acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	g := tr.beginGap(at(12), 0, 1)
	s4 := add(t, tr, at(13), "b", 0)
	tr.complete(s4, 8, nil)
	tr.complete(g, 7, nil)
	if n := count(); n != 0 {
		t.Fatalf("count %d with the first call unacknowledged, want 0", n)
	}
	tr.complete(s1, 6, nil)
	if n := count(); n != 4 {
		t.Fatalf("count %d once all four calls are acknowledged, want 4", n)
	}
}

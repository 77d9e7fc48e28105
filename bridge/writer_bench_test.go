package bridge

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// ackingQueue stands in for the producer: it "encodes" each record at once
// (releases its value) and acknowledges it to the tracker.
type ackingQueue struct {
	tr     *tracker
	offset int64
}

func (q *ackingQueue) Send(_ context.Context, r *sink.Record) error {
	r.ReleaseValue()
	q.tr.complete(r.Seq, q.offset, nil)
	q.offset++
	return nil
}

// BenchmarkWriterEventPath hands upstream-like events (about 500 B,
// distinct dedup keys) to the core's Output, through the dedup window, the
// record building and the tracker, to a queue that acknowledges them, and
// reports the allocations per event of the core's side of the path: the
// record, nothing else (the source's side is
// websocket.BenchmarkEventPath; the batch encoding, none once its buffers
// have grown, txn.BenchmarkEncodeBatch). The window is pruned every 100
// events, as the bridge prunes it every 100 ms.
//
//	go test -run '^$' -bench WriterEventPath -benchtime 200000x ./bridge
func BenchmarkWriterEventPath(b *testing.B) {
	const topic, dlq = "events", "events.dlq"
	br := &Bridge{cfg: config.Config{BridgeName: "b", KafkaTopic: topic, KafkaDLQTopic: dlq, BatchBytes: 1 << 20},
		log: zerolog.Nop(), fresh: newFreshness()}
	br.metrics = newMetrics(nil, br.fresh)
	base := time.Date(2026, 11, 29, 13, 50, 11, 0, time.UTC)
	tr := newTracker(lateStream{base, 2 * time.Second}, checkpoint.Position{Bridge: "b", Topic: topic, Source: "test", Since: base},
		sink.NewInFlight(20000, 1<<30), scanned(nil, time.Time{}, map[int]int64{0: 0}))
	w := newWriter(br, tr, &ackingQueue{tr: tr}, map[string]int{topic: 6, dlq: 1})
	raw := []byte(`{"id":"00000000-0000-4e8e-9b7f-2f1f6f3f6a1c","topicName":"v2.detail.events.conversation.0b7c4bde-5d8a-4e8e-9b7f-2f1f6f3f6a1c.customer.start","version":"2","timestamp":"2026-11-29T13:50:11.000Z",` +
		`"eventBody":{"conversationId":"0b7c4bde-5d8a-4e8e-9b7f-2f1f6f3f6a1c","participantId":"0b7c4bde-5d8a-4e8e-9b7f-2f1f6f3f6a1c","mediaType":"voice","direction":"inbound","eventType":"start"}}`)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = fmt.Sprintf("%08d-0000-4e8e-9b7f-2f1f6f3f6a1c", i)
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := source.Event{Raw: raw, Time: base.Add(time.Duration(i) * time.Millisecond), DedupKey: keys[i]}
		if err := w.Event(ctx, &ev); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			tr.prune()
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/event")
}

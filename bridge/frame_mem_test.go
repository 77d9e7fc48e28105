package bridge

// Memory of one maximal frame on its way through the bridge: the frame
// handling of consume, the writer, the tracker's in-flight bound and a fake
// producer that acknowledges records only once the writer waits for a slot
// (or nothing came for a millisecond), so that the bound is really reached.
// These are benchmarks: they report, they assert nothing about time.
//
//	go test -run '^$' -bench 'FrameMemory|DecodeTinyEventsFrame|WindowRetains' -benchtime 1x ./bridge

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

const (
	memMaxFrame    = 8 << 20 // MAX_FRAME_BYTES default
	memMaxInFlight = 20000   // KAFKA_MAX_IN_FLIGHT default
)

type memFrame struct {
	name string
	d    decoder
	elem func(i int) string // the i-th element of the array
}

var memDecoder = decoder{TimeField: "timestamp", IDField: "id"}

var memFrames = []memFrame{
	{"rejects", memDecoder, func(int) string { return `{}` }},
	{"id-events", memDecoder, func(int) string { return `{"timestamp":1,"id":"a"}` }},
	{"content-key-events", memDecoder, func(int) string { return `{"timestamp":1}` }},
	// The same shapes with distinct keys: nothing is a duplicate, every
	// element becomes a record and waits for its slot.
	{"id-events-distinct", memDecoder, func(i int) string { return `{"timestamp":1,"id":"` + strconv.Itoa(i) + `"}` }},
	{"content-key-events-distinct", memDecoder, func(i int) string { return `{"timestamp":` + strconv.Itoa(i) + `}` }},
}

// buildFrame fills an array with up to maxN elements and limit bytes.
func buildFrame(limit, maxN int, elem func(i int) string) ([]byte, int) {
	buf := make([]byte, 0, min(limit, 1<<20))
	buf = append(buf, '[')
	n := 0
	for n < maxN {
		e := elem(n)
		if len(buf)+len(e)+2 > limit {
			break
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, e...)
		n++
	}
	return append(buf, ']'), n
}

// lineCounter counts log lines (zerolog writes one event per Write).
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// memHarness is a bridge, writer and tracker over a fake producer.
type memHarness struct {
	b     *Bridge
	w     *writer
	tr    *tracker
	lines *lineCounter
	acked atomic.Int64
	done  chan struct{}
	wg    sync.WaitGroup
}

func newMemHarness(d decoder, maxInFlight int) *memHarness {
	const topic, dlq = "events", "events.dlq"
	h := &memHarness{lines: &lineCounter{}, done: make(chan struct{})}
	h.tr = newTracker(checkpoint.Position{Bridge: "b", Topic: topic}, time.Second, maxInFlight, 1<<30, nil, time.Time{}, map[int]int64{0: 0})
	qOut, qDLQ := make(chan *outRecord, 1000), make(chan *outRecord, 1000)
	prod := &producer{queues: map[topicPartition]chan *outRecord{{topic, 0}: qOut, {dlq, 0}: qDLQ}}
	log := zerolog.New(h.lines).Level(zerolog.InfoLevel)
	fresh := newFreshness()
	m := newMetrics(nil, fresh)
	parts := map[string]int{topic: 1, dlq: 1}
	h.w = newWriter(recordSettings{bridge: "b", topic: topic, dlqTopic: dlq, batchBytes: 1 << 20}, h.tr, prod, m, log, parts)
	h.b = &Bridge{log: log, metrics: m, decoder: d, fresh: fresh}
	h.wg.Add(1)
	go func() { // the fake producer
		defer h.wg.Done()
		var pending []*outRecord
		var offset int64
		ack := func() {
			for _, r := range pending {
				h.tr.complete(r.seq, offset, nil)
				offset++
			}
			h.acked.Add(int64(len(pending)))
			clear(pending)
			pending = pending[:0]
		}
		idle := time.NewTimer(time.Hour)
		for {
			select {
			case r := <-qOut:
				pending = append(pending, r)
			case r := <-qDLQ:
				pending = append(pending, r)
			case <-idle.C:
				ack()
			case <-h.done:
				ack()
				return
			}
			if len(pending) >= maxInFlight {
				ack() // every slot is taken: the writer waits
			}
			idle.Reset(time.Millisecond)
		}
	}()
	return h
}

func (h *memHarness) close() {
	close(h.done)
	h.wg.Wait()
}

// settle waits until every record sent is acknowledged.
func (h *memHarness) settle() {
	for {
		if pending, _ := h.tr.stats(); pending == 0 && h.tr.slotsHeld() == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// sampler records the peak HeapAlloc and the peak number of records in
// flight while it runs.
type sampler struct {
	peakHeap, peakInFlight uint64
	stop                   chan struct{}
	wg                     sync.WaitGroup
}

func startSampler(tr *tracker) *sampler {
	s := &sampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			s.peakHeap = max(s.peakHeap, ms.HeapAlloc)
			if tr != nil {
				s.peakInFlight = max(s.peakInFlight, uint64(tr.slotsHeld()))
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) end() {
	close(s.stop)
	s.wg.Wait()
}

// BenchmarkFrameMemory sends one maximal frame per iteration through the
// frame handling of consume, each time into a fresh epoch (tracker, dedup
// window), and reports per frame: the peak heap above the heap before it
// (the frame itself excluded; garbage not yet collected included), what
// is still live once every record is acknowledged (mostly the dedup
// window's keys), bytes and allocations, the peak number of records in
// flight and the log lines written.
func BenchmarkFrameMemory(b *testing.B) {
	for _, mf := range memFrames {
		b.Run(mf.name, func(b *testing.B) {
			frame, n := buildFrame(memMaxFrame, memMaxFrame, mf.elem)
			ctx := context.Background()
			var peak, inFlight, retained, allocated, mallocs uint64
			var lines int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				h := newMemHarness(mf.d, memMaxInFlight)
				runtime.GC()
				var before, after, live runtime.MemStats
				runtime.ReadMemStats(&before)
				s := startSampler(h.tr)
				b.StartTimer()
				if err := h.b.newFrameWriter(ctx, h.w).write(frame); err != nil {
					b.Fatal(err)
				}
				h.settle()
				b.StopTimer()
				s.end()
				runtime.ReadMemStats(&after)
				runtime.GC()
				runtime.ReadMemStats(&live)
				peak = max(peak, s.peakHeap-before.HeapAlloc)
				inFlight = max(inFlight, s.peakInFlight)
				retained = max(retained, live.HeapAlloc-before.HeapAlloc)
				allocated += after.TotalAlloc - before.TotalAlloc
				mallocs += after.Mallocs - before.Mallocs
				lines += h.lines.n.Load()
				runtime.KeepAlive(h.tr)
				h.close()
			}
			b.ReportMetric(float64(n), "elements")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(retained)/(1<<20), "live-after-MiB")
			b.ReportMetric(float64(allocated)/float64(b.N)/(1<<20), "alloc-MiB/frame")
			b.ReportMetric(float64(mallocs)/float64(b.N)/float64(n), "allocs/element")
			b.ReportMetric(float64(inFlight), "peak-in-flight")
			b.ReportMetric(float64(lines)/float64(b.N), "log-lines/frame")
		})
	}
}

// BenchmarkDecodeTinyEventsFrame decodes maximal frames with nothing
// behind the decoder: what decoding alone allocates per frame.
func BenchmarkDecodeTinyEventsFrame(b *testing.B) {
	for _, mf := range memFrames {
		b.Run(mf.name, func(b *testing.B) {
			frame, n := buildFrame(memMaxFrame, memMaxFrame, mf.elem)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				s := startSampler(nil)
				b.StartTimer()
				if got := decodeOnly(mf.d, frame); got != n {
					b.Fatalf("%d elements, want %d", got, n)
				}
				b.StopTimer()
				s.end()
				peak = max(peak, s.peakHeap-before.HeapAlloc)
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// decodeOnly walks frame with callbacks that keep nothing.
func decodeOnly(d decoder, frame []byte) int {
	n := 0
	count := func() error { n++; return nil }
	_, _ = d.walk(frame, func(event) error { return count() }, func(rejected) error { return count() })
	return n
}

// BenchmarkWindowRetains reports what the dedup window keeps alive after
// 20 frames of about 600 KB, each of 1000 events with distinct ids, were
// written and acknowledged and the frames themselves dropped: 20000 keys.
func BenchmarkWindowRetains(b *testing.B) {
	pad := strings.Repeat("p", 560)
	for i := 0; i < b.N; i++ {
		h := newMemHarness(memDecoder, memMaxInFlight)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for f := range 20 {
			frame, _ := buildFrame(memMaxFrame, 1000, func(i int) string {
				return `{"timestamp":1,"id":"` + fmt.Sprintf("f%02d-e%04d", f, i) + `","pad":"` + pad + `"}`
			})
			if err := h.b.newFrameWriter(context.Background(), h.w).write(frame); err != nil {
				b.Fatal(err)
			}
		}
		h.settle()
		runtime.GC()
		runtime.ReadMemStats(&after)
		_, keys := h.tr.stats()
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "retained-MiB")
		b.ReportMetric(float64(keys), "keys")
		runtime.KeepAlive(h)
		h.close()
	}
}

// BenchmarkEventPath sends frames of 100 upstream-like events (about
// 500 B, distinct ids) through the frame handling of consume, the writer
// and the tracker to the queues of a fake producer that acknowledges them,
// and reports the allocations per event: the decode → produce path without
// the batch encoding, with the dedup window pruned after each frame as the
// bridge prunes it (txn.BenchmarkEncodeBatch: none once its buffers have
// grown).
//
//	go test -run '^$' -bench EventPath -benchtime 2000x ./bridge
func BenchmarkEventPath(b *testing.B) {
	const perFrame = 100
	const u = "0b7c4bde-5d8a-4e8e-9b7f-2f1f6f3f6a1c"
	start := time.Date(2026, 11, 29, 13, 50, 11, 0, time.UTC)
	h := newMemHarness(decoder{TimeField: "timestamp", IDField: "id"}, memMaxInFlight)
	defer h.close()
	fw := h.b.newFrameWriter(context.Background(), h.w)
	var mallocs, events uint64
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var frame bytes.Buffer
		frame.WriteByte('[')
		for j := range perFrame {
			if j > 0 {
				frame.WriteByte(',')
			}
			at := start.Add(time.Duration(i)*time.Second + time.Duration(j)*time.Millisecond).Format(time.RFC3339Nano)
			fmt.Fprintf(&frame, `{"id":"%08d-%04d-4e8e-9b7f-2f1f6f3f6a1c","topicName":"v2.detail.events.conversation.%s.customer.start","version":"2","timestamp":"%s",`+
				`"eventBody":{"conversationId":"%s","participantId":"%s","sessionId":"%s","queueId":"%s","mediaType":"voice","direction":"inbound","eventType":"start","userId":"%s"},"metadata":{"CorrelationId":"%s"}}`,
				i, j, u, at, u, u, u, u, u, u)
		}
		frame.WriteByte(']')
		runtime.ReadMemStats(&before)
		b.StartTimer()
		if err := fw.write(frame.Bytes()); err != nil {
			b.Fatal(err)
		}
		h.tr.prune() // as the bridge does every 100 ms: the window stays the events of the last seconds
		b.StopTimer()
		runtime.ReadMemStats(&after)
		mallocs += after.Mallocs - before.Mallocs
		events += perFrame
		b.StartTimer()
	}
	b.StopTimer()
	h.settle()
	if received := h.acked.Load(); received != int64(events) {
		b.Fatalf("%d records acknowledged of %d events", received, events)
	}
	b.ReportMetric(float64(mallocs)/float64(events), "allocs/event")
}

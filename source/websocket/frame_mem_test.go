package websocket

// Memory of one maximal frame on its way through the source: the frame
// handling of consume, into a rig standing in for the core with its
// in-flight bound, whose records are encoded only once the writer waits for
// a slot (or nothing came for a millisecond), so that the bound is really
// reached.
// These are benchmarks: they report, they assert nothing about time.
//
//	go test -run '^$' -bench 'FrameMemory|DecodeTinyEventsFrame' -benchtime 1x ./source/websocket

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/rs/zerolog"
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

// memHarness is the frame handling over a rig whose records an encoder
// goroutine encodes once the writer waits for a slot (or nothing came for a
// millisecond), so that the in-flight bound is really reached.
type memHarness struct {
	r    *rig
	done chan struct{}
	wg   sync.WaitGroup
}

func newMemHarness(d decoder, maxInFlight int) *memHarness {
	h := &memHarness{r: newRig(maxInFlight), done: make(chan struct{})}
	h.r.src.decoder = d
	h.r.src.log = zerolog.New(h.r.lines).Level(zerolog.InfoLevel)
	h.wg.Add(1)
	go func() { // the encoder
		defer h.wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-h.done:
				h.r.encode()
				return
			}
			h.r.encode()
		}
	}()
	return h
}

func (h *memHarness) close() {
	close(h.done)
	h.wg.Wait()
}

// settle waits until every record handed over is encoded.
func (h *memHarness) settle() {
	for h.r.inFlight() > 0 {
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

func startSampler(r *rig) *sampler {
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
			if r != nil {
				s.peakInFlight = max(s.peakInFlight, uint64(r.inFlight()))
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
				s := startSampler(h.r)
				b.StartTimer()
				if err := h.r.frameWriter(ctx).write(frame); err != nil {
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
				lines += h.r.lines.n.Load()
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

// BenchmarkEventPath sends frames of 100 upstream-like events (about
// 500 B, distinct ids) through the frame handling of consume to an Output
// that keeps nothing, and reports the allocations per event of the
// source's side of the path: decoding, keys, the hand-over (the core's
// side, records and the dedup window, is bridge.BenchmarkWriterEventPath;
// the batch encoding, none once its buffers have grown,
// txn.BenchmarkEncodeBatch).
//
//	go test -run '^$' -bench EventPath -benchtime 2000x ./source/websocket
func BenchmarkEventPath(b *testing.B) {
	const perFrame = 100
	const u = "0b7c4bde-5d8a-4e8e-9b7f-2f1f6f3f6a1c"
	start := time.Date(2026, 11, 29, 13, 50, 11, 0, time.UTC)
	out := &countingOutput{}
	st := &stream{src: &Source{log: zerolog.Nop(), decoder: decoder{TimeField: "timestamp", IDField: "id"}}, cursor: newCursor(start, start, 0)}
	fw := st.newFrameWriter(context.Background(), out)
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
		b.StopTimer()
		runtime.ReadMemStats(&after)
		mallocs += after.Mallocs - before.Mallocs
		events += perFrame
		b.StartTimer()
	}
	b.StopTimer()
	if out.events != int(events) {
		b.Fatalf("%d events handed over of %d", out.events, events)
	}
	b.ReportMetric(float64(mallocs)/float64(events), "allocs/event")
}

// countingOutput takes events as the core would, keeping nothing: what the
// benchmark counts is the source's own allocations.
type countingOutput struct {
	rig
	events int
}

func (o *countingOutput) Event(_ context.Context, ev *source.Event) error {
	if ev.Buffer != nil {
		ev.Buffer.Hold()
		ev.Buffer.Release()
	}
	o.events++
	return nil
}

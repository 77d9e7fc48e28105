package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
)

// keyMargin is how much longer than the position needs the dedup window
// keeps keys: a copy read on the old socket of a handover may come after
// its twin by up to the platform's minute of overlap.
const keyMargin = 5 * time.Minute

// stream is one epoch. Run owns the channel client, discovery, the
// back-fill loops and the marker; all of them send through one mutex, so
// that Output sees one caller at a time and every call is counted.
type stream struct {
	src    *Source
	led    *ledger
	start  time.Time
	client *notifications.Client
	disc   *discovery.Discovery

	sendMu     sync.Mutex
	out        source.Output
	count      atomic.Uint64        // Output calls that returned nil
	emitted    map[string]time.Time // conversation-detail dedup keys written this epoch (-> when), under sendMu
	emittedCap int                  // when emitted reaches it, the old keys go (forgetEmitted)

	connected atomic.Bool // the client reported every channel connected at least once
	status    chan bool   // the client's latest connected state, for the status loop
	gapAdded  chan struct{}
}

func newStream(s *Source, led *ledger, start time.Time) (*stream, error) {
	co := s.opts.Channels
	co.API, co.Logger = s.api, s.opts.Logger
	client, err := notifications.New(co)
	if err != nil {
		return nil, fmt.Errorf("notifications source: %w", err)
	}
	do := s.opts.Discovery
	do.API, do.Subscriber, do.Logger = s.api, client, s.opts.Logger
	disc, err := discovery.New(do)
	if err != nil {
		return nil, fmt.Errorf("notifications source: %w", err)
	}
	return &stream{src: s, led: led, start: start, client: client, disc: disc, emitted: map[string]time.Time{}, emittedCap: 1 << 16,
		status: make(chan bool, 1), gapAdded: make(chan struct{}, 1)}, nil
}

// Position is the checkpoint of the prefix p: Live as of p's last mark,
// the gaps and conversations not yet back-filled by a call within p, and
// Since the horizon of the earliest of them.
func (st *stream) Position(p source.Progress) source.Position {
	s, oldest := st.led.snapshot(p.Count)
	raw, err := json.Marshal(s)
	if err != nil {
		raw = nil // cannot happen: times, ids and strings
	}
	return source.Position{Since: st.horizonOf(oldest), HighWater: p.HighWater, State: raw}
}

// Horizon is Since: the next epoch's scan must find every key this one may
// still send again, and the core finds the records at or after Since.
func (st *stream) Horizon(p source.Progress) time.Time {
	_, oldest := st.led.snapshot(p.Count)
	return st.horizonOf(oldest)
}

// horizonOf is how far back keys are kept for the earliest time still
// needed: a gap is fetched widened by Latency, so it finds again the
// conversations written up to Latency before it began (fetched by id, kept
// by when they were fetched); and a handover's second copy comes within
// keyMargin of its twin.
func (st *stream) horizonOf(oldest time.Time) time.Time {
	return oldest.Add(-st.src.opts.Latency - keyMargin)
}

// Close has nothing to hand back: the platform acknowledges nothing.
func (st *stream) Close(context.Context) error { return nil }

// Run subscribes, reads and back-fills until ctx ends (nil) or something
// retrying cannot help happens (refused credentials or permissions).
func (st *stream) Run(ctx context.Context, out source.Output) error {
	st.out = out
	out.Connected(false)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 6)
	var wg sync.WaitGroup
	run := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		})
	}
	run("channels", func(ctx context.Context) error { return st.client.Run(ctx, handler{st}) })
	run("discovery", func(ctx context.Context) error { return st.disc.Run(ctx, st.start) })
	run("back-fill of gaps", st.fillGaps)
	run("back-fill of conversations", st.fillPending)
	run("marks", st.markLive)
	run("status", st.reportStatus)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// send hands ev to the core and counts the call; it returns the count.
func (st *stream) send(ctx context.Context, ev *source.Event) (uint64, error) {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	if err := st.out.Event(ctx, ev); err != nil {
		return st.count.Load(), err
	}
	return st.count.Add(1), nil
}

// sendDetail writes a back-filled conversation once per epoch and
// content (the core's window drops a copy within its horizon; this covers
// one fetched again later in a long epoch); it returns the count.
func (st *stream) sendDetail(ctx context.Context, ev *source.Event) (uint64, error) {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	if _, done := st.emitted[ev.DedupKey]; done {
		return st.count.Load(), nil
	}
	if err := st.out.Event(ctx, ev); err != nil {
		return st.count.Load(), err
	}
	st.emitted[ev.DedupKey] = ev.Arrived
	if len(st.emitted) >= st.emittedCap {
		st.forgetEmitted(ev.Arrived)
	}
	st.src.metrics.details.WithLabelValues(headerValue(ev, HeaderBackfill)).Inc()
	return st.count.Add(1), nil
}

// emittedFor is how long a written conversation-detail key is remembered:
// a conversation fetched again later than that (by a gap it was active in)
// has been over for longer than any conversation lasts.
const emittedFor = 48 * time.Hour

// forgetEmitted drops the keys written before now less emittedFor, and
// doubles the cap when that frees less than half of it. sendMu held.
func (st *stream) forgetEmitted(now time.Time) {
	for k, at := range st.emitted {
		if now.Sub(at) > emittedFor {
			delete(st.emitted, k)
		}
	}
	if len(st.emitted) > st.emittedCap/2 {
		st.emittedCap *= 2
	}
}

func (st *stream) sendDeadLetter(ctx context.Context, dl *source.DeadLetter) error {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	if err := st.out.DeadLetter(ctx, dl); err != nil {
		return err
	}
	st.count.Add(1)
	return nil
}

// markLive samples the client's CompleteUntil and pairs it with the calls
// made by then (read after it: every event received before it was handed
// over, and so counted). Until the client has connected once, what it
// says does not cover its first subscriptions: the epoch's start stands.
func (st *stream) markLive(ctx context.Context) error {
	t := time.NewTicker(st.src.opts.MarkEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		complete := st.client.CompleteUntil()
		if !st.connected.Load() && complete.After(st.start) {
			complete = st.start
		}
		st.led.mark(st.count.Load(), complete.UTC())
		gaps, pend := st.led.counts()
		st.src.metrics.observe(st.client, st.disc, gaps, pend, st.src.api.Clock().Now().Sub(complete))
	}
}

// reportStatus passes the client's connected state to the core (the
// Handler's Status must not block; Output calls may).
func (st *stream) reportStatus(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case up := <-st.status:
			st.sendMu.Lock()
			st.out.Connected(up)
			st.sendMu.Unlock()
		}
	}
}

// setStatus keeps the latest state for reportStatus.
func (st *stream) setStatus(up bool) {
	if up {
		st.connected.Store(true)
	}
	select {
	case <-st.status:
	default:
	}
	select {
	case st.status <- up:
	default:
	}
}

func headerValue(ev *source.Event, key string) string {
	for _, h := range ev.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

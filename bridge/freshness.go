package bridge

import (
	"sync/atomic"
	"time"
)

// freshness is what /healthz and the lag metrics report about how current
// the stream is. Written by the reading and checkpointing goroutines, read
// by scrapes: atomics, no lock.
type freshness struct {
	highWater atomic.Int64 // Unix ns: high water of the last checkpoint
	since     atomic.Int64 // Unix ns: since of the last checkpoint
	lastEvent atomic.Int64 // Unix ns: newest event time received
	now       func() time.Time
}

func newFreshness() *freshness { return &freshness{now: time.Now} }

func (f *freshness) checkpointed(since, highWater time.Time) {
	f.since.Store(since.UnixNano())
	f.highWater.Store(highWater.UnixNano())
}

// received notes an event; only a newer event time moves the mark.
func (f *freshness) received(t time.Time) {
	ns := t.UnixNano()
	for {
		old := f.lastEvent.Load()
		if ns <= old || f.lastEvent.CompareAndSwap(old, ns) {
			return
		}
	}
}

func (f *freshness) lagSeconds() float64 {
	hw := f.highWater.Load()
	if hw == 0 {
		return 0
	}
	return f.now().Sub(time.Unix(0, hw)).Seconds()
}

func (f *freshness) lastEventSeconds() float64 {
	return float64(f.lastEvent.Load()) / 1e9
}

// times returns since, high water and the last event time (zero when not
// known yet).
func (f *freshness) times() (since, highWater, lastEvent time.Time) {
	at := func(ns int64) time.Time {
		if ns == 0 {
			return time.Time{}
		}
		return time.Unix(0, ns).UTC()
	}
	return at(f.since.Load()), at(f.highWater.Load()), at(f.lastEvent.Load())
}

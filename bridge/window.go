package bridge

import (
	"time"
)

// The dedup window: the keys of every record the source may still send
// again, each with the time it is kept by. The source's Horizon says when a
// key can go; the scan that opens each epoch (rebuild.go) fills the window
// back from the outputs' tails. tracker.seen consults it under the
// tracker's lock, and a dropped duplicate still takes its place in arrival
// order (tracker.duplicate), so the checkpoint moves past it.
//
// Two stores keep it: a map of the keys themselves, unbounded (the
// WebSocket source, whose window spans its replay: seconds of events), and
// a compact table of 128-bit key hashes of fixed capacity (DEDUP_MAX_KEYS:
// a queue source keeping an hour of keys, millions of them).

// keyWindow is the dedup window's store. The tracker's mutex guards it.
type keyWindow interface {
	seen(key string) bool
	// add keeps key until a prune past kept.
	add(key string, kept time.Time)
	// remove forgets a key whose record could not be queued after all.
	remove(key string)
	len() int
	// prune drops the keys kept by a time before cutoff.
	prune(cutoff time.Time)
}

type keyTime struct {
	key  string
	time instant
}

// instant is an event time without time.Time's location pointer: the
// window holds one per key, and pointers are what the garbage collector
// scans and what every store into the window pays a write barrier for.
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

func (a instant) before(b instant) bool {
	return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec)
}

// mapWindow is the unbounded keyWindow: the keys themselves.
type mapWindow struct {
	keys     map[string]instant
	arrivals fifo[keyTime] // keys in the order they were added, for pruning
}

func newMapWindow() *mapWindow { return &mapWindow{keys: make(map[string]instant)} }

func (w *mapWindow) seen(key string) bool {
	_, ok := w.keys[key]
	return ok
}

func (w *mapWindow) add(key string, tm time.Time) {
	at := instantOf(tm)
	w.keys[key] = at
	w.arrivals.push(keyTime{key, at})
}

func (w *mapWindow) remove(key string) { delete(w.keys, key) }

func (w *mapWindow) len() int { return len(w.keys) }

// prune drops the keys of events older than cutoff.
func (w *mapWindow) prune(cutoff time.Time) {
	c := instantOf(cutoff)
	n := 0
	for n < w.arrivals.len() && w.arrivals.at(n).time.before(c) {
		a := w.arrivals.at(n)
		if at, ok := w.keys[a.key]; ok && at.before(c) {
			delete(w.keys, a.key)
		}
		n++
	}
	w.arrivals.pop(n)
}

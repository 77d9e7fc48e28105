package bridge

import (
	"time"
)

// The dedup window: the keys of every record the source may still send
// again, each with its event time. The source's Horizon says when a key can
// go; the scan that opens each epoch (rebuild.go) fills the window back
// from the outputs' tails. tracker.seen consults it under the tracker's
// lock, and a dropped duplicate still takes its place in arrival order
// (tracker.duplicate), so the checkpoint moves past it.

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

// dedupWindow holds the dedup keys a connection may still resend, with
// their event times. The tracker's mutex guards it.
type dedupWindow struct {
	keys     map[string]instant
	arrivals fifo[keyTime] // keys in the order they were added, for pruning
}

// newDedupWindow starts a window with the keys a tail scan found.
func newDedupWindow(scanned map[string]time.Time) dedupWindow {
	w := dedupWindow{keys: make(map[string]instant, len(scanned))}
	for k, tm := range scanned {
		w.add(k, tm)
	}
	return w
}

func (w *dedupWindow) seen(key string) bool {
	_, ok := w.keys[key]
	return ok
}

func (w *dedupWindow) add(key string, tm time.Time) {
	at := instantOf(tm)
	w.keys[key] = at
	w.arrivals.push(keyTime{key, at})
}

// remove forgets a key whose record could not be queued after all.
func (w *dedupWindow) remove(key string) { delete(w.keys, key) }

func (w *dedupWindow) len() int { return len(w.keys) }

// prune drops the keys of events older than cutoff.
func (w *dedupWindow) prune(cutoff time.Time) {
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

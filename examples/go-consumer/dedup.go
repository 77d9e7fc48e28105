package goconsumer

import (
	"container/heap"
	"time"
)

// window remembers the dedup keys seen within a span of event time. With
// KAFKA_TRANSACTIONS=false the bridge can write an event twice; both copies
// carry the same bridge-dedup-key and event time, and the second follows
// the first within EVENT_LATENESS plus an outage, so a window of that order
// catches it with bounded memory.
type window struct {
	span      time.Duration
	seen      map[string]time.Time
	byTime    keyHeap
	highWater time.Time
}

func newWindow(span time.Duration) *window {
	return &window{span: span, seen: map[string]time.Time{}}
}

// first reports whether key is new within the window, and remembers it.
func (w *window) first(key string, t time.Time) bool {
	if t.After(w.highWater) {
		w.highWater = t
		oldest := t.Add(-w.span)
		for len(w.byTime) > 0 && w.byTime[0].t.Before(oldest) {
			e := heap.Pop(&w.byTime).(keyAt)
			if w.seen[e.key].Equal(e.t) {
				delete(w.seen, e.key)
			}
		}
	}
	if _, dup := w.seen[key]; dup {
		return false
	}
	w.seen[key] = t
	heap.Push(&w.byTime, keyAt{key, t})
	return true
}

type keyAt struct {
	key string
	t   time.Time
}

// keyHeap is a min-heap of keys by event time.
type keyHeap []keyAt

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return h[i].t.Before(h[j].t) }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(keyAt)) }
func (h *keyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

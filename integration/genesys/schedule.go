package genesys

import (
	"container/heap"
	"time"
)

// itemKind is what a scheduled item does when its time comes.
type itemKind int

const (
	itemPublish   itemKind = iota // publish a notification to the channels subscribed to its topic
	itemHeartbeat                 // a socket's heartbeat
	itemExpiring                  // streaming-subscriptions-expiring, ExpiringWarning before a channel expires
	itemExpire                    // a channel expires
	itemClose                     // a socket closes, ClosingGrace after socket_closing
	itemGenerate                  // the next conversation of Options.ConversationEvery
)

// item is one timed action of the pump.
type item struct {
	at   time.Time
	seq  uint64 // order among items of the same time: first scheduled, first done
	kind itemKind
	ch   *channel  // itemExpiring, itemExpire
	base time.Time // itemExpiring, itemExpire: the expiry scheduled for; stale once the channel's moved
	sock *socket   // itemHeartbeat, itemClose
	pub  *pending  // itemPublish
}

// pending is a notification waiting for its time.
type pending struct {
	topic        string
	eventBody    []byte
	correlation  string
	conversation string
}

// schedule is a min-heap of items by (at, seq).
type schedule []item

func (q schedule) Len() int { return len(q) }
func (q schedule) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q schedule) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *schedule) Push(x any)   { *q = append(*q, x.(item)) }
func (q *schedule) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// scheduleLocked adds it to the pump's schedule and wakes the pump; s.mu
// held.
func (s *Server) scheduleLocked(it item) {
	s.seq++
	it.seq = s.seq
	heap.Push(&s.world.sched, it)
	s.poke()
}

// nextDueLocked returns the time of the earliest item; s.mu held.
func (s *Server) nextDueLocked() (time.Time, bool) {
	if len(s.world.sched) == 0 {
		return time.Time{}, false
	}
	return s.world.sched[0].at, true
}

// popDueLocked removes and returns the earliest item if it is due at now;
// s.mu held.
func (s *Server) popDueLocked(now time.Time) (item, bool) {
	if len(s.world.sched) == 0 || s.world.sched[0].at.After(now) {
		return item{}, false
	}
	return heap.Pop(&s.world.sched).(item), true
}

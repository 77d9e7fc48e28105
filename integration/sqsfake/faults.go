package sqsfake

import (
	"math/rand/v2"
	"time"
)

// faults is the injected misbehaviour, guarded by Server.mu.
type faults struct {
	rng               *rand.Rand
	failNext          []failRule
	failDeleteEntries int
	duplicates        int
	reorder           bool
}

type failRule struct {
	op   string // "" matches every operation
	kind ErrorKind
	left int // calls left to fail; negative: every call until healed
}

// Stats counts what the server did, for assertions beside the SDK's view.
type Stats struct {
	Sent          int // messages stored by SendMessage(Batch)
	Received      int // deliveries, first ones and redeliveries
	Redelivered   int // deliveries of a copy received before
	Duplicated    int // extra copies made by DuplicateNext
	Deleted       int // copies deleted with their latest handle
	StaleDeletes  int // deletes with a superseded handle: accepted, nothing deleted
	FailedEntries int // DeleteMessageBatch entries failed by FailDeleteEntries
	FailedCalls   int // calls failed by FailNext
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// FailNext fails the next n calls of op ("ReceiveMessage", ...; "" for any
// operation) with kind, before they touch any queue. Rules stack: the
// oldest matching one with calls left applies.
func (s *Server) FailNext(op string, kind ErrorKind, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failNext = append(s.faults.failNext, failRule{op: op, kind: kind, left: n})
}

// FailCalls fails every call of op ("" for any operation) with kind,
// before it touches any queue, until heal is called: an outage of one
// operation for as long as a test or the demo wants (a crash between
// commit and delete, seen from the queue, is deletes that never come).
// Calls that match an older FailNext rule with calls left fail by that.
func (s *Server) FailCalls(op string, kind ErrorKind) (heal func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.faults.failNext)
	s.faults.failNext = append(s.faults.failNext, failRule{op: op, kind: kind, left: -1})
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.faults.failNext[i].left = 0
	}
}

// injected returns the failure FailNext or FailCalls set up for op, if any.
func (s *Server) injected(op string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults.failNext {
		r := &s.faults.failNext[i]
		if r.left != 0 && (r.op == "" || r.op == op) {
			if r.left > 0 {
				r.left--
			}
			s.stats.FailedCalls++
			return r.kind.injected()
		}
	}
	return nil
}

// FailDeleteEntries fails the next n DeleteMessageBatch entries, each with a
// per-entry failure (Code InternalError, SenderFault false) in an otherwise
// successful call; the messages stay in flight.
func (s *Server) FailDeleteEntries(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failDeleteEntries = n
}

// DuplicateNext makes the next n deliveries leave a second copy of the
// message behind, visible at once, with the same MessageId and body: the
// at-least-once duplicate of a standard queue. Deleting one copy leaves the
// other.
func (s *Server) DuplicateNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.duplicates = n
}

// Reorder makes receives take visible messages in a shuffled order (seeded
// by Options.Seed) instead of send order.
func (s *Server) Reorder(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.reorder = on
}

// ExpireInFlight makes every in-flight message of queue visible now, as if
// its visibility timeout had lapsed: the next receive redelivers it with a
// new receipt handle, and the old handle goes stale. It returns how many.
func (s *Server) ExpireInFlight(queueName string) int {
	return s.countLocked(queueName, func(q *queue, now time.Time) int {
		n := 0
		for _, m := range q.msgs {
			if m.receives > 0 && m.visibleAt.After(now) {
				m.visibleAt = now
				n++
			}
		}
		s.wakeLocked()
		return n
	})
}

// InFlight returns how many messages of queue are received and not yet
// deleted or visible again.
func (s *Server) InFlight(queueName string) int {
	return s.countLocked(queueName, func(q *queue, now time.Time) int {
		_, n, _ := q.counts(now)
		return n
	})
}

// Visible returns how many messages of queue a receive could get now.
func (s *Server) Visible(queueName string) int {
	return s.countLocked(queueName, func(q *queue, now time.Time) int {
		n, _, _ := q.counts(now)
		return n
	})
}

// countLocked runs count on the queue named queueName at the clock's now,
// holding s.mu; a queue that does not exist counts 0.
func (s *Server) countLocked(queueName string, count func(q *queue, now time.Time) int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queueName]
	if q == nil {
		return 0
	}
	return count(q, s.clock.Now())
}

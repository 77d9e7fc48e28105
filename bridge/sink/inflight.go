package sink

import (
	"context"
	"sync"
)

// InFlight bounds the records read from the upstream but not yet
// acknowledged, by count (KAFKA_MAX_IN_FLIGHT) and by bytes
// (KAFKA_MAX_IN_FLIGHT_BYTES): the bridge's memory is about this bound
// plus a constant, whatever the size of the events. A record larger than
// the byte bound is let through alone, or it could never be sent.
type InFlight struct {
	maxRecords int
	maxBytes   int

	mu      sync.Mutex // guards the fields below
	records int
	bytes   int
	waiters int
	freed   chan struct{} // closed on a release while someone waits
}

// NewInFlight returns a bound of maxRecords records and maxBytes bytes.
func NewInFlight(maxRecords, maxBytes int) *InFlight {
	return &InFlight{maxRecords: maxRecords, maxBytes: maxBytes}
}

// Acquire waits until a record of size bytes fits.
func (s *InFlight) Acquire(ctx context.Context, size int) error {
	for {
		s.mu.Lock()
		if s.records < s.maxRecords && (s.bytes+size <= s.maxBytes || s.records == 0) {
			s.records++
			s.bytes += size
			s.mu.Unlock()
			return nil
		}
		if s.freed == nil {
			s.freed = make(chan struct{})
		}
		freed := s.freed
		s.waiters++
		s.mu.Unlock()

		select {
		case <-freed:
			s.mu.Lock()
			s.waiters--
			s.mu.Unlock()
		case <-ctx.Done():
			s.mu.Lock()
			s.waiters--
			s.mu.Unlock()
			return context.Cause(ctx)
		}
	}
}

// Release returns the slot of a record of size bytes; size 0 holds none.
func (s *InFlight) Release(size int) {
	if size == 0 {
		return
	}
	s.mu.Lock()
	s.records--
	s.bytes -= size
	if s.waiters > 0 && s.freed != nil {
		// Wake every waiter (they re-check); allocation only happens when
		// someone waits, never on the fast path.
		close(s.freed)
		s.freed = nil
	}
	s.mu.Unlock()
}

// Pending returns the records and bytes in flight.
func (s *InFlight) Pending() (records, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records, s.bytes
}

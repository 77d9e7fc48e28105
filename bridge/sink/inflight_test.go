package sink

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInFlightBoundsRecordsAndBytes(t *testing.T) {
	tests := []struct {
		name       string
		maxRecords int
		maxBytes   int
		held       []int // sizes acquired first
		next       int   // size of the acquire that must wait
	}{
		{"records", 2, 1000, []int{10, 10}, 10},
		{"bytes", 100, 1000, []int{600, 300}, 200},
		{"one oversized record at a time", 100, 1000, []int{5000}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewInFlight(tt.maxRecords, tt.maxBytes)
			for _, n := range tt.held {
				if err := s.Acquire(context.Background(), n); err != nil {
					t.Fatal(err)
				}
			}
			// A waiter must block until a release, whatever its timing.
			got := make(chan error, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { got <- s.Acquire(ctx, tt.next) }()
			waitWaiting(t, s)
			select {
			case err := <-got:
				t.Fatalf("acquire of %d passed the bound: %v", tt.next, err)
			default:
			}
			s.Release(tt.held[0])
			if err := <-got; err != nil {
				t.Fatalf("acquire after a release: %v", err)
			}
			if r, b := s.Pending(); r != len(tt.held) || b != sum(tt.held)-tt.held[0]+tt.next {
				t.Errorf("pending %d records %d bytes", r, b)
			}
		})
	}
}

func TestInFlightOversizedRecordAloneAndCancel(t *testing.T) {
	s := NewInFlight(10, 100)
	if err := s.Acquire(context.Background(), 500); err != nil {
		t.Fatalf("a record above the byte bound must pass when nothing else is in flight: %v", err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	got := make(chan error, 1)
	go func() { got <- s.Acquire(ctx, 1) }()
	waitWaiting(t, s)
	stop := errors.New("stop")
	cancel(stop)
	if err := <-got; !errors.Is(err, stop) {
		t.Fatalf("cancelled acquire returned %v", err)
	}
	s.Release(500)
	if r, b := s.Pending(); r != 0 || b != 0 {
		t.Errorf("pending %d records %d bytes after releasing all", r, b)
	}
}

// waitWaiting waits until an acquire is blocked.
func waitWaiting(t *testing.T, s *InFlight) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		w := s.waiters
		s.mu.Unlock()
		if w > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no acquire is waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

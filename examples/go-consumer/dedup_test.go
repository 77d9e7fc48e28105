package goconsumer

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	w := newWindow(time.Minute)
	steps := []struct {
		key   string
		at    time.Duration
		first bool
	}{
		{"a", 0, true},
		{"a", 0, false},               // a copy
		{"b", 30 * time.Second, true}, // a is still inside the window
		{"a", 0, false},               // a late copy inside the window
		{"c", 2 * time.Minute, true},  // a and b fall out of it
		{"b", 30 * time.Second, true}, // forgotten: older than the window
		{"c", 2 * time.Minute, false}, // still remembered
		{"d", 2*time.Minute + time.Second, true},
	}
	for i, s := range steps {
		if got := w.first(s.key, t0.Add(s.at)); got != s.first {
			t.Fatalf("step %d: first(%q, +%s) = %v, want %v", i, s.key, s.at, got, s.first)
		}
	}
	// Memory stays bounded: only keys inside the window are held (b was
	// re-added below the high water and goes at the next eviction).
	w.first("e", t0.Add(10*time.Minute))
	if len(w.seen) != 1 || len(w.byTime) != 1 {
		t.Errorf("after the window moved on: %d keys, %d in the heap, want 1", len(w.seen), len(w.byTime))
	}
}

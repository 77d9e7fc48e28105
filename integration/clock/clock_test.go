package clock

import (
	"testing"
	"time"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Advance wakes what waited for a time it reached, and nothing else; a
// stopped wait is no longer counted.
func TestManualWakesOnlyWhatIsDue(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	c := NewManual(t0)
	past, _ := c.Until(t0)
	if !closed(past) {
		t.Fatal("a wait for now is not closed at once")
	}
	soon, _ := c.Until(t0.Add(30 * time.Second))
	later, stop := c.Until(t0.Add(time.Hour))
	if c.Waiters() != 2 {
		t.Fatalf("Waiters %d, want 2", c.Waiters())
	}
	c.Advance(29 * time.Second)
	if closed(soon) {
		t.Fatal("woken a second early")
	}
	c.Advance(time.Second)
	if !closed(soon) || closed(later) {
		t.Fatal("Advance to 30 s: want the 30 s wait woken and the hour wait not")
	}
	stop()
	if c.Waiters() != 0 || !c.Now().Equal(t0.Add(30*time.Second)) {
		t.Fatalf("Waiters %d, Now %v", c.Waiters(), c.Now())
	}
}

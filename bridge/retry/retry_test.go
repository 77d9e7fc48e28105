package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoffGrowsJitteredWithinBoundsAndResets(t *testing.T) {
	b := NewBackoff(100*time.Millisecond, time.Second, 1)
	ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, ceiling := range ceilings {
		ceiling *= time.Millisecond
		if d := b.Next(); d < ceiling/2 || d > ceiling {
			t.Errorf("attempt %d: %s, want within [%s, %s]", i+1, d, ceiling/2, ceiling)
		}
	}
	b.Reset()
	if d := b.Next(); d > 100*time.Millisecond {
		t.Errorf("after Reset: %s, want at most the minimum", d)
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
	stop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(stop)
	if err := Sleep(ctx, time.Hour); !errors.Is(err, stop) {
		t.Errorf("Sleep on an ended context = %v, want its cause", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, stop) {
		t.Errorf("Sleep(0) on an ended context = %v, want its cause", err)
	}
}

package backfill

import (
	"fmt"
	"testing"
	"time"
)

func TestIntervalChunksAndDays(t *testing.T) {
	d := func(month time.Month, day, hour int) time.Time {
		return time.Date(2026, month, day, hour, 0, 0, 0, time.UTC)
	}
	for _, tc := range []struct {
		iv     interval
		chunks string
		days   int
	}{
		{interval{d(11, 29, 12), d(11, 30, 10)}, "[2026-11-29T12:00:00.000Z/2026-11-30T10:00:00.000Z]", 2},
		{interval{d(11, 30, 0), d(12, 1, 0)}, "[2026-11-30T00:00:00.000Z/2026-12-01T00:00:00.000Z]", 1},
		// 31 days from the first day's midnight, then the rest.
		{interval{d(10, 1, 6), d(12, 15, 0)},
			"[2026-10-01T06:00:00.000Z/2026-11-01T00:00:00.000Z 2026-11-01T00:00:00.000Z/2026-12-02T00:00:00.000Z 2026-12-02T00:00:00.000Z/2026-12-15T00:00:00.000Z]", 75},
	} {
		if got := fmt.Sprint(tc.iv.chunks()); got != tc.chunks {
			t.Errorf("%s chunks %s, want %s", tc.iv, got, tc.chunks)
		}
		for _, c := range tc.iv.chunks() {
			if c.end.Sub(c.start) > maxIntervalDays*24*time.Hour {
				t.Errorf("chunk %s longer than %d days", c, maxIntervalDays)
			}
		}
		if got := len(tc.iv.days()); got != tc.days {
			t.Errorf("%s touches %d days, want %d", tc.iv, got, tc.days)
		}
	}
	iv := interval{d(11, 29, 12), d(11, 30, 10)}
	if got := fmt.Sprint(iv.clip(d(11, 30, 0))); got != "2026-11-30T00:00:00.000Z/2026-11-30T10:00:00.000Z" {
		t.Errorf("clip to the second day: %s", got)
	}
}

// The API's interval covers every instant of a finer one.
func TestIntervalStringWidensToMilliseconds(t *testing.T) {
	base := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	iv := interval{base.Add(1500 * time.Microsecond), base.Add(time.Minute + 1500*time.Microsecond)}
	if got, want := iv.String(), "2026-11-30T10:00:00.001Z/2026-11-30T10:01:00.002Z"; got != want {
		t.Errorf("String %s, want %s", got, want)
	}
}

package genesys

import (
	"fmt"
	"strings"
	"time"
)

// Query limits.
const (
	maxIntervalDays = 31     // an analytics interval spans at most 31 days
	maxResults      = 100000 // "Pagination may not exceed 100000 results"
	intervalMargin  = time.Minute
)

// interval is an analytics query interval [start, end).
type interval struct{ start, end time.Time }

// parseInterval reads "start/end", two ISO-8601 (RFC 3339) times.
func parseInterval(raw string) (interval, error) {
	a, b, ok := strings.Cut(raw, "/")
	if !ok {
		return interval{}, fmt.Errorf("interval %q: want start/end, e.g. 2026-11-30T00:00:00.000Z/2026-12-01T00:00:00.000Z", raw)
	}
	start, err := time.Parse(time.RFC3339Nano, a)
	if err != nil {
		return interval{}, fmt.Errorf("interval start %q: %v", a, err)
	}
	end, err := time.Parse(time.RFC3339Nano, b)
	if err != nil {
		return interval{}, fmt.Errorf("interval end %q: %v", b, err)
	}
	if !end.After(start) {
		return interval{}, fmt.Errorf("interval %q: the end must come after the start", raw)
	}
	if end.Sub(start) > maxIntervalDays*24*time.Hour {
		return interval{}, fmt.Errorf("interval %q: longer than %d days", raw, maxIntervalDays)
	}
	return interval{start.UTC(), end.UTC()}, nil
}

// day is the UTC day t falls on, as its midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// touchesStartDay reports whether a conversation that started at start is
// selected by a details query on iv: it "started on a day touched by the
// interval". The end is exclusive: an interval ending at midnight does not
// touch the day that begins then.
func (iv interval) touchesStartDay(start time.Time) bool {
	d := day(start)
	return !d.Before(day(iv.start)) && !d.After(day(iv.end.Add(-time.Nanosecond)))
}

// hadActivity reports whether a conversation from start to end (zero: not
// ended by then) overlaps iv: how a details job selects.
func (iv interval) hadActivity(start, end time.Time) bool {
	return start.Before(iv.end) && (end.IsZero() || end.After(iv.start))
}

package backfill

import (
	"time"
)

// interval is a time interval [start, end), as the analytics API takes it.
type interval struct{ start, end time.Time }

// apiDateLayout is how the platform writes a date: UTC with milliseconds.
const apiDateLayout = "2006-01-02T15:04:05.000Z"

// String is the interval as the API's "start/end", widened to whole
// milliseconds (the start rounded down, the end up) so that it still
// covers every instant of iv.
func (iv interval) String() string {
	start := iv.start.UTC().Truncate(time.Millisecond)
	return start.Format(apiDateLayout) + "/" + ceilMillisecond(iv.end).Format(apiDateLayout)
}

// ceilMillisecond is t rounded up to a whole millisecond, in UTC.
func ceilMillisecond(t time.Time) time.Time {
	t = t.UTC()
	if f := t.Truncate(time.Millisecond); !f.Equal(t) {
		return f.Add(time.Millisecond)
	}
	return t
}

func (iv interval) empty() bool { return !iv.start.Before(iv.end) }

// day is the UTC day t falls on, as its midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// days are the UTC days iv touches (its end excluded), as their midnights.
func (iv interval) days() []time.Time {
	if iv.empty() {
		return nil
	}
	var out []time.Time
	for d := day(iv.start); d.Before(iv.end); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// clip is the part of iv on the UTC day d.
func (iv interval) clip(d time.Time) interval {
	return interval{maxTime(iv.start, d), minTime(iv.end, d.AddDate(0, 0, 1))}
}

// chunks cuts iv into intervals of at most 31 days, at UTC midnights: a
// details query selects by the day a conversation started, so chunks that
// share no day select no conversation twice.
func (iv interval) chunks() []interval {
	var out []interval
	for start := iv.start; start.Before(iv.end); {
		end := minTime(iv.end, day(start).AddDate(0, 0, maxIntervalDays))
		out = append(out, interval{start, end})
		start = end
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

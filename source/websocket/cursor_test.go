package websocket

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source"
)

var c0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func sec(n float64) time.Time { return c0.Add(time.Duration(n * float64(time.Second))) }

// progressOutput is the core as the cursor sees it: it observes a progress
// the test sets.
type progressOutput struct {
	rig
	p source.Progress
}

func (o *progressOutput) Observe(fn func(source.Progress)) { fn(o.p) }

func TestCursorResumesAtTheHighWaterLessLateness(t *testing.T) {
	c := newCursor(sec(0), sec(0), 2*time.Second)
	tests := []struct {
		name string
		p    source.Progress
		want time.Time
	}{
		{"nothing acknowledged: the base", source.Progress{}, sec(0)},
		{"high water less lateness", source.Progress{HighWater: sec(30)}, sec(28)},
		{"never before the base", source.Progress{HighWater: sec(1)}, sec(0)},
		{"never before a settled gap", source.Progress{HighWater: sec(30), Settled: sec(500)}, sec(500)},
	}
	for _, tt := range tests {
		if got := c.Position(tt.p).Since; !got.Equal(tt.want) {
			t.Errorf("%s: since %s, want %s", tt.name, got.Sub(c0), tt.want.Sub(c0))
		}
	}
	if got := c.Position(source.Progress{HighWater: sec(30)}).HighWater; !got.Equal(sec(30)) {
		t.Errorf("high water %s", got.Sub(c0))
	}
	if got := newCursor(sec(10), sec(5), 0).Position(source.Progress{}).HighWater; !got.Equal(sec(10)) {
		t.Errorf("a base high water before the base since: %s, want the since", got.Sub(c0))
	}
}

func TestCursorHorizon(t *testing.T) {
	const lateness = 2 * time.Second
	tests := []struct {
		name                     string
		since, connSince, connHi time.Time // connSince zero: no connection yet
		want                     time.Time
	}{
		{"before any connection: the next since", sec(100), time.Time{}, time.Time{}, sec(100 - 2)},
		{"current connection still replays from an old since", sec(100), sec(50), sec(51), sec(50 - 2)},
		{"current connection caught up", sec(100), sec(50), sec(200), sec(100 - 2)},
		{"connection horizon between", sec(100), sec(50), sec(90), sec(88 - 2)},
		{"connection read nothing yet", sec(100), sec(50), time.Time{}, sec(50 - 2)},
	}
	for _, tt := range tests {
		c := newCursor(tt.since, tt.since, lateness)
		c.connSince = tt.connSince
		if !tt.connHi.IsZero() {
			c.read(tt.connHi)
		}
		if got := c.Horizon(source.Progress{}); !got.Equal(tt.want) {
			t.Errorf("%s: horizon %s, want %s", tt.name, got.Sub(c0), tt.want.Sub(c0))
		}
	}
}

// A connection opened with an old since keeps replaying after the
// checkpoint has moved on: its keys must outlive the checkpoint's since,
// until that connection has read past them.
func TestCursorKeepsKeysTheCurrentReplayMayResend(t *testing.T) {
	out := &progressOutput{}
	c := newCursor(sec(0), sec(0), 0)
	if since := c.resume(out); !since.Equal(sec(0)) {
		t.Fatalf("first connection at %s", since.Sub(c0))
	}
	for _, s := range []float64{10, 20, 30} {
		c.read(sec(s))
	}
	// The connection closes while all three are in flight: the next one
	// replays from the acknowledged position, still the base.
	if since := c.resume(out); !since.Equal(sec(0)) {
		t.Fatalf("second connection at %s", since.Sub(c0))
	}
	// Then the acks arrive and the checkpoint moves to 30.
	out.p = source.Progress{HighWater: sec(30)}
	if got := c.Position(out.p).Since; !got.Equal(sec(30)) {
		t.Fatalf("since %s, want 30s", got.Sub(c0))
	}
	// The replay from 0 resends 10 and 20: their keys must stay.
	if h := c.Horizon(out.p); h.After(sec(10)) {
		t.Fatalf("horizon %s drops keys the current connection's replay still resends", h.Sub(c0))
	}
	// Once that connection has read past them, they go.
	for _, s := range []float64{10, 20, 30} {
		c.read(sec(s))
	}
	if h := c.Horizon(out.p); !h.Equal(sec(30)) {
		t.Errorf("horizon %s, want 30s once the replay passed", h.Sub(c0))
	}
}

// A gap marker written (acknowledged or not) moves every later connection
// past the gap at once; the checkpoint follows only once it is
// acknowledged (Progress.Settled).
func TestCursorSkipsAWrittenGap(t *testing.T) {
	out := &progressOutput{}
	c := newCursor(sec(0), sec(0), time.Minute)
	c.gapWritten(sec(500))
	if since := c.resume(out); !since.Equal(sec(500)) {
		t.Errorf("connection at %s, want the gap's end", since.Sub(c0))
	}
	if got := c.Position(out.p).Since; !got.Equal(sec(0)) {
		t.Errorf("checkpoint since %s moved past the gap before its marker was acknowledged", got.Sub(c0))
	}
	out.p.Settled = sec(500)
	if got := c.Position(out.p).Since; !got.Equal(sec(500)) {
		t.Errorf("checkpoint since %s, want the gap's end once acknowledged", got.Sub(c0))
	}
}

// Package source is the contract between the bridge's core and an upstream.
//
// A Source reads one upstream (the `since` WebSocket, a queue, a
// notification channel) and hands the core what it read: events, dead
// letters and gaps, in arrival order. The core turns each into one Kafka
// record, writes it exactly once (dropping what its dedup window already
// holds), and learns from Kafka what was committed. It never looks inside
// an event and knows nothing of how a source connects or resumes.
//
// The lifecycle, per epoch (the span between two rebuilds of the core's
// state from Kafka):
//
//  1. Resume: the core loads the committed checkpoint and hands the source
//     its Checkpoint (the zero Checkpoint when none was ever written). The
//     source returns the Stream of this epoch.
//  2. The core rebuilds its dedup window from the output topics' tail, back
//     to Stream.Horizon of the empty Progress.
//  3. Run: the source reads and calls Output for each thing read, until
//     its context ends or it fails for good. Output blocks while too much
//     is in flight: that is the back-pressure.
//  4. Meanwhile the core commits. Before each checkpoint it asks the Stream
//     for the Position covering the acknowledged prefix of arrival order
//     (Progress) and the Horizon before which nothing can be sent again;
//     after each commit it tells every Acker of the records it committed.
//  5. Close: once Run returned and the epoch's last commit is over (every
//     Acker call made), the core closes the Stream. A source that
//     acknowledges upstream finishes doing so here, and hands back what it
//     read but was never committed.
//
// Invariants a source must keep, or exactly-once breaks:
//   - An event sent again (a replay, a redelivery) carries the same
//     DedupKey, and is sent again no earlier than Horizon allows the key to
//     be forgotten.
//   - A replay from Position loses nothing: every event older than
//     Position.Since was in the acknowledged prefix.
//   - Event.Raw is never re-encoded: it is the record value as read.
//   - An upstream acknowledgement (deleting a queue message) happens only
//     from Acker.Committed: then the record is in Kafka for good.
package source

import (
	"context"
	"encoding/json"
	"time"
)

// Source is one upstream. The core calls Resume once per epoch, and never
// concurrently.
type Source interface {
	// Name is the source's kind (the SOURCE setting), stored in the
	// checkpoint: a checkpoint of another kind is refused, never guessed.
	Name() string
	// Resume starts an epoch from cp, the committed checkpoint (its zero
	// value when there is none). An error stops the bridge: the
	// checkpoint cannot be used.
	Resume(cp Checkpoint) (Stream, error)
}

// Stream is one epoch of a source.
type Stream interface {
	// Run reads the upstream and hands everything read to out, in arrival
	// order, until ctx ends (it returns nil) or retrying cannot help (it
	// returns the error that stops the bridge). It reconnects by itself.
	Run(ctx context.Context, out Output) error
	// Position is the checkpoint covering p, the acknowledged prefix of
	// arrival order. Called by the core under its own lock: it must be
	// quick and must not call Output.
	Position(p Progress) Position
	// Horizon is the oldest event time this source may still send (now, or
	// after a restart from Position(p)): the core forgets the dedup keys of
	// older events, and at the start of an epoch (with the zero Progress)
	// rebuilds its window back to it. Same rules as Position.
	Horizon(p Progress) time.Time
	// Close ends the epoch. The core calls it once, after Run returned and
	// after the epoch's last commit, so no Acker call follows; ctx bounds
	// it (SHUTDOWN_TIMEOUT). An error is logged: the next epoch starts
	// from Kafka either way.
	Close(ctx context.Context) error
}

// Progress is what Kafka acknowledged of one epoch: the longest prefix of
// arrival order whose records are all written (with transactions: about to
// commit).
type Progress struct {
	// HighWater is the latest event time in the prefix, never later than
	// when that event arrived (a clock running ahead upstream cannot drag
	// it into the future); zero while the prefix is empty.
	HighWater time.Time
	// Settled is the latest end of a gap in the prefix: the source declared
	// the stream settled up to it (Gap.To); zero when none.
	Settled time.Time
	// Count is how many of the epoch's Output calls (Event, DeadLetter and
	// Gap, dropped duplicates included) the prefix holds: they are the
	// first Count the Stream made. A source whose position moves with
	// something other than event time (a back-fill done) counts its own
	// calls and compares.
	Count uint64
}

// Position is a source's resume point, stored in the checkpoint.
type Position struct {
	// Since is where the stream is not yet known to be complete: a restart
	// resumes here. Every record of the bridge with an event time at or
	// after it is found again by the scan that opens the next epoch.
	Since time.Time
	// HighWater is the latest event time of the acknowledged prefix
	// (reported as the event-time lag).
	HighWater time.Time
	// State is the source's own resume state beyond Since, if any: opaque
	// JSON, stored as it is.
	State json.RawMessage
}

// Checkpoint is the committed checkpoint an epoch resumes from.
type Checkpoint struct {
	// Found is false when none was ever written: start where the source's
	// settings say (START_SINCE, for instance).
	Found bool
	Position
}

// Output is what the core offers a Stream. Its methods block while the
// in-flight bound is reached, and return an error only when the epoch is
// over (its context ended, or a write failed): the stream must then stop.
// A Stream calls them from one goroutine.
type Output interface {
	// Event writes ev, unless its dedup key was delivered already: then it
	// is dropped, and still counted in arrival order.
	Event(ctx context.Context, ev *Event) error
	// DeadLetter writes what cannot be delivered as an event to the
	// dead-letter topic, once per dedup key.
	DeadLetter(ctx context.Context, dl *DeadLetter) error
	// Gap writes a gap marker: events between From and To are lost
	// upstream. Once it is acknowledged, Progress.Settled reaches To.
	Gap(ctx context.Context, g Gap) error
	// Observe calls fn with the acknowledged progress, atomically with
	// respect to Stream.Position and Stream.Horizon: what fn records is
	// seen by both at once (a reconnect records where it resumes).
	Observe(fn func(Progress))
	// Connected reports whether the source is connected (the bridge's
	// state: streaming, or connecting).
	Connected(bool)
}

// Checker is a source that can check its upstream without reading from it,
// for `analytics-bridge check --connect`: credentials, reachability, the
// handshake.
type Checker interface {
	Check(ctx context.Context) []CheckResult
}

// CheckResult is one line of a check.
type CheckResult struct {
	Name    string
	OK      bool
	Warning bool // OK, but something would fail the guarantee later (a broker loss)
	Detail  string
}

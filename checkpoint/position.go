package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Version is the encoding version written by this build. It reads this
// one and version 1 (before sources had positions of their own, written by
// the WebSocket source alone). A release that only knows version 1 refuses
// a version 2 record with ErrVersion: a rollback needs the checkpoint moved
// back by hand (`checkpoint set`) or a new BRIDGE_NAME.
const Version = 2

// legacySource is the source of every version 1 record.
const legacySource = "websocket"

var (
	// ErrCorrupt means a checkpoint record could not be decoded.
	ErrCorrupt = errors.New("checkpoint record is corrupt")
	// ErrVersion means a checkpoint was written by a newer, incompatible bridge.
	ErrVersion = errors.New("checkpoint record has an unsupported version")
)

// Position is the durable resume point of one bridge.
type Position struct {
	// Bridge is the bridge name; it is also the record key.
	Bridge string
	// Topic is the output topic whose offsets ScanFrom refers to.
	Topic string
	// Source is the kind of source (SOURCE) whose position this is.
	Source string
	// Since is where the source resumes: the stream is not known to be
	// complete from here on, so events at Since or later may be sent again.
	Since time.Time
	// HighWater is the latest event time among the contiguous run of
	// acknowledged events.
	HighWater time.Time
	// State is the source's own resume state beyond Since (opaque JSON),
	// if it has any.
	State json.RawMessage
	// ScanFrom maps each partition of Topic to the offset at or after which
	// every record of this bridge with an event time at or after Since lies.
	// A partition missing from the map is scanned from its start.
	ScanFrom map[int]int64
	// DLQScanFrom is ScanFrom for the dead-letter topic, whose records are
	// written once too.
	DLQScanFrom map[int]int64
	// Written is when the position was saved, by the writer's clock. A
	// standby in transactional mode reads it as the writer's heartbeat.
	Written time.Time
	// Writer is the BRIDGE_INSTANCE_ID of the instance that saved it ("" in
	// checkpoints written before it existed).
	Writer string
	// Stopped marks the last checkpoint of an instance that shut down
	// cleanly: no instance is live, a standby may take over at once.
	Stopped bool
}

// wire is the versioned JSON form; field names are short but readable, since
// operators inspect checkpoints with console consumers.
type wire struct {
	V           int              `json:"v"`
	Bridge      string           `json:"bridge"`
	Topic       string           `json:"topic"`
	Source      string           `json:"source,omitempty"` // v2
	Since       time.Time        `json:"since"`
	HighWater   time.Time        `json:"high_water"`
	State       json.RawMessage  `json:"state,omitempty"` // v2
	ScanFrom    map[string]int64 `json:"scan_from"`
	DLQScanFrom map[string]int64 `json:"dlq_scan_from,omitempty"` // v2
	Written     time.Time        `json:"written"`
	Writer      string           `json:"writer,omitempty"`
	Stopped     bool             `json:"stopped,omitempty"`
}

// Encode returns the record value for p.
func Encode(p Position) ([]byte, error) {
	w := wire{
		V:           Version,
		Bridge:      p.Bridge,
		Topic:       p.Topic,
		Source:      p.Source,
		Since:       p.Since.UTC(),
		HighWater:   p.HighWater.UTC(),
		State:       p.State,
		ScanFrom:    encodeOffsets(p.ScanFrom),
		DLQScanFrom: encodeOffsets(p.DLQScanFrom),
		Written:     p.Written.UTC(),
		Writer:      p.Writer,
		Stopped:     p.Stopped,
	}
	if w.Source == "" {
		return nil, fmt.Errorf("encoding checkpoint: no source")
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encoding checkpoint: %w", err)
	}
	return b, nil
}

// Decode parses a record value written by Encode.
func Decode(b []byte) (Position, error) {
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return Position{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if probe.V == nil {
		return Position{}, fmt.Errorf("%w: no version field", ErrCorrupt)
	}
	if *probe.V != Version && *probe.V != 1 {
		return Position{}, fmt.Errorf("%w: version %d, this build reads 1 and %d", ErrVersion, *probe.V, Version)
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return Position{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if w.V == 1 {
		w.Source, w.State, w.DLQScanFrom = legacySource, nil, nil
	}
	if w.Bridge == "" || w.Topic == "" || w.Source == "" || w.Since.IsZero() {
		return Position{}, fmt.Errorf("%w: bridge, topic, source and since are required", ErrCorrupt)
	}
	for _, t := range []time.Time{w.Since, w.HighWater, w.Written} {
		// Encode writes UTC, in which an offset can push a year out of
		// RFC 3339's 0000-9999: such a position could never be saved again.
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return Position{}, fmt.Errorf("%w: time %s is outside the years 0000-9999 UTC", ErrCorrupt, t.Format(time.RFC3339Nano))
		}
	}
	p := Position{
		Bridge:    w.Bridge,
		Topic:     w.Topic,
		Source:    w.Source,
		Since:     w.Since,
		HighWater: w.HighWater,
		State:     w.State,
		Written:   w.Written,
		Writer:    w.Writer,
		Stopped:   w.Stopped,
	}
	var err error
	if p.ScanFrom, err = decodeOffsets("scan_from", w.ScanFrom); err != nil {
		return Position{}, err
	}
	if p.DLQScanFrom, err = decodeOffsets("dlq_scan_from", w.DLQScanFrom); err != nil {
		return Position{}, err
	}
	return p, nil
}

func encodeOffsets(offsets map[int]int64) map[string]int64 {
	w := make(map[string]int64, len(offsets))
	for part, off := range offsets {
		w[strconv.Itoa(part)] = off
	}
	return w
}

func decodeOffsets(field string, w map[string]int64) (map[int]int64, error) {
	offsets := make(map[int]int64, len(w))
	for k, off := range w {
		part, err := strconv.Atoi(k)
		// Only the form Encode writes: "00" or "+0" next to "0" would leave
		// the offset to map iteration order.
		if err != nil || part < 0 || off < 0 || strconv.Itoa(part) != k {
			return nil, fmt.Errorf("%w: bad %s entry %q: %d", ErrCorrupt, field, k, off)
		}
		offsets[part] = off
	}
	return offsets, nil
}

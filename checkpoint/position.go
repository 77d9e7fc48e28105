package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Version is the encoding version written by this build.
const Version = 1

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
	// Since is the upstream time to reconnect from. The upstream replays
	// inclusively, so events at Since or later may be sent again.
	Since time.Time
	// HighWater is the latest event time among the contiguous run of
	// acknowledged events; Since is HighWater minus the lateness window.
	HighWater time.Time
	// ScanFrom maps each partition of Topic to the offset at or after which
	// every record of this bridge with an event time at or after Since lies.
	// A partition missing from the map is scanned from its start.
	ScanFrom map[int]int64
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
	V         int              `json:"v"`
	Bridge    string           `json:"bridge"`
	Topic     string           `json:"topic"`
	Since     time.Time        `json:"since"`
	HighWater time.Time        `json:"high_water"`
	ScanFrom  map[string]int64 `json:"scan_from"`
	Written   time.Time        `json:"written"`
	Writer    string           `json:"writer,omitempty"`
	Stopped   bool             `json:"stopped,omitempty"`
}

// Encode returns the record value for p.
func Encode(p Position) ([]byte, error) {
	w := wire{
		V:         Version,
		Bridge:    p.Bridge,
		Topic:     p.Topic,
		Since:     p.Since.UTC(),
		HighWater: p.HighWater.UTC(),
		ScanFrom:  make(map[string]int64, len(p.ScanFrom)),
		Written:   p.Written.UTC(),
		Writer:    p.Writer,
		Stopped:   p.Stopped,
	}
	for part, off := range p.ScanFrom {
		w.ScanFrom[strconv.Itoa(part)] = off
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
	if *probe.V != Version {
		return Position{}, fmt.Errorf("%w: version %d, this build reads %d", ErrVersion, *probe.V, Version)
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return Position{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if w.Bridge == "" || w.Topic == "" || w.Since.IsZero() {
		return Position{}, fmt.Errorf("%w: bridge, topic and since are required", ErrCorrupt)
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
		Since:     w.Since,
		HighWater: w.HighWater,
		ScanFrom:  make(map[int]int64, len(w.ScanFrom)),
		Written:   w.Written,
		Writer:    w.Writer,
		Stopped:   w.Stopped,
	}
	for k, off := range w.ScanFrom {
		part, err := strconv.Atoi(k)
		// Only the form Encode writes: "00" or "+0" next to "0" would leave
		// the offset to map iteration order.
		if err != nil || part < 0 || off < 0 || strconv.Itoa(part) != k {
			return Position{}, fmt.Errorf("%w: bad scan_from entry %q: %d", ErrCorrupt, k, off)
		}
		p.ScanFrom[part] = off
	}
	return p, nil
}

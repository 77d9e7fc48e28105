package bridge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Event is one upstream event, ready to become one Kafka record.
type Event struct {
	// Raw is the event exactly as received (a sub-slice of the frame): the
	// record value, never re-encoded.
	Raw []byte
	// Time is the event time, UTC.
	Time time.Time
	// DedupKey identifies the event across replays: its id, or a hash of
	// its canonical content when it has none.
	DedupKey string
	// RecordKey is the Kafka record key (partitioning); the dedup key unless
	// PARTITION_KEY_FIELD names a field the event has.
	RecordKey []byte
}

// Rejected is a frame or event that cannot be delivered as an event; it goes
// to the dead-letter topic with its reason.
type Rejected struct {
	Raw    []byte
	Reason string
}

// Control is a non-event frame the connection must act on.
type Control int

// Control frames that change the connection's course. Heartbeats and pongs
// only prove liveness and are reported as ControlNone.
const (
	ControlNone Control = iota
	// ControlSocketClosing: the server will close soon; reconnect now.
	ControlSocketClosing
	// ControlTokenRevoked: fetch a new token before reconnecting.
	ControlTokenRevoked
)

// Frame is a decoded upstream frame.
type Frame struct {
	Events   []Event
	Rejected []Rejected
	Control  Control
}

// Decoder extracts the few fields the bridge needs from events without
// unmarshalling them (gjson reads paths straight from the bytes).
type Decoder struct {
	TimeField      string // JSON path of the event time
	IDField        string // JSON path of the unique id; "" to always hash
	PartitionField string // JSON path of the record key; "" for the dedup key
}

// Decode splits a frame into events, rejects and control. It never fails:
// whatever cannot be an event is returned in Rejected with the reason.
func (d Decoder) Decode(frame []byte) Frame {
	var f Frame
	trimmed := bytes.TrimSpace(frame)
	if !gjson.ValidBytes(trimmed) {
		f.Rejected = append(f.Rejected, Rejected{Raw: frame, Reason: "frame is not valid JSON"})
		return f
	}
	root := gjson.ParseBytes(trimmed)
	switch {
	case root.IsArray():
		root.ForEach(func(_, el gjson.Result) bool {
			d.element(&f, trimmed, el)
			return true
		})
	case root.IsObject():
		d.element(&f, trimmed, root)
	default:
		f.Rejected = append(f.Rejected, Rejected{Raw: frame, Reason: "frame is neither a JSON array nor an object"})
	}
	return f
}

func (d Decoder) element(f *Frame, frame []byte, el gjson.Result) {
	raw := rawOf(frame, el)
	if !el.IsObject() {
		f.Rejected = append(f.Rejected, Rejected{Raw: raw, Reason: "array element is not a JSON object"})
		return
	}
	topic := el.Get("topicName").String()
	switch {
	case topic == "channel.metadata":
		return
	case topic == "v2.system.socket_closing":
		f.Control = max(f.Control, ControlSocketClosing)
		return
	case topic == "v2.system.token_revoked":
		f.Control = ControlTokenRevoked
		return
	case strings.HasPrefix(topic, "v2.system."):
		return
	}
	ev, err := d.event(raw, el)
	if err != nil {
		f.Rejected = append(f.Rejected, Rejected{Raw: raw, Reason: err.Error()})
		return
	}
	f.Events = append(f.Events, ev)
}

func (d Decoder) event(raw []byte, el gjson.Result) (Event, error) {
	t, err := parseTime(el.Get(d.TimeField))
	if err != nil {
		return Event{}, fmt.Errorf("event time %q: %w", d.TimeField, err)
	}
	ev := Event{Raw: raw, Time: t}
	if d.IDField != "" {
		if id := el.Get(d.IDField); id.Exists() && (id.Type == gjson.String || id.Type == gjson.Number) && id.String() != "" {
			ev.DedupKey = id.String()
		}
	}
	if ev.DedupKey == "" {
		ev.DedupKey, err = ContentKey(raw)
		if err != nil {
			return Event{}, err
		}
	}
	ev.RecordKey = []byte(ev.DedupKey)
	if d.PartitionField != "" {
		if pk := el.Get(d.PartitionField); pk.Exists() && pk.Type != gjson.Null && pk.String() != "" {
			ev.RecordKey = []byte(pk.String())
		}
	}
	return ev, nil
}

// rawOf returns the bytes of el inside frame without copying.
func rawOf(frame []byte, el gjson.Result) []byte {
	end := el.Index + len(el.Raw)
	if el.Index >= 0 && end <= len(frame) && string(frame[el.Index:end]) == el.Raw {
		return frame[el.Index:end:end]
	}
	return []byte(el.Raw)
}

var errNoTime = errors.New("missing")

// parseTime accepts an RFC 3339 string or epoch milliseconds (a number, or a
// string of digits).
func parseTime(v gjson.Result) (time.Time, error) {
	switch v.Type {
	case gjson.String:
		s := v.Str
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor epoch milliseconds", s)
		}
		return t.UTC(), nil
	case gjson.Number:
		ms, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s is not whole epoch milliseconds", v.Raw)
		}
		return time.UnixMilli(ms).UTC(), nil
	case gjson.Null:
		if v.Exists() {
			return time.Time{}, errors.New("is null")
		}
		return time.Time{}, errNoTime
	default:
		return time.Time{}, fmt.Errorf("%s is not a time", v.Raw)
	}
}

// ContentKey derives a dedup key from an event's content: the SHA-256 of its
// canonical JSON (object keys sorted, insignificant white space removed,
// numbers kept as written). The upstream may re-serialise an event when it
// replays it, so a hash of the raw bytes would not be stable; the canonical
// form is. Prefixed "sha256:" so it can never collide with an upstream id
// of the same text.
func ContentKey(raw []byte) (string, error) {
	canonical, err := canonicalJSON(raw)
	if err != nil {
		return "", fmt.Errorf("canonicalising event for its content key: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	// encoding/json writes map keys sorted and json.Number as written.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// event is one upstream event, ready to become one Kafka record.
type event struct {
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

// rejected is a frame or event that cannot be delivered as an event; it goes
// to the dead-letter topic with its reason.
type rejected struct {
	Raw    []byte
	Reason string
}

// control is a non-event frame the connection must act on.
type control int

// control frames that change the connection's course. Heartbeats and pongs
// only prove liveness and are reported as controlNone.
const (
	controlNone control = iota
	// controlSocketClosing: the server will close soon; reconnect now.
	controlSocketClosing
	// controlTokenRevoked: fetch a new token before reconnecting.
	controlTokenRevoked
)

// decodedFrame is a decoded upstream frame.
type decodedFrame struct {
	events  []event
	rejects []rejected
	control control
}

// decoder extracts the few fields the bridge needs from events without
// unmarshalling them (gjson reads paths straight from the bytes).
type decoder struct {
	TimeField      string // JSON path of the event time
	IDField        string // JSON path of the unique id; "" to always hash
	PartitionField string // JSON path of the record key; "" for the dedup key
}

// Decode splits a frame into events, rejects and control. It never fails:
// whatever cannot be an event is returned in rejected with the reason.
func (d decoder) Decode(frame []byte) decodedFrame {
	var f decodedFrame
	trimmed := bytes.TrimSpace(frame)
	if !gjson.ValidBytes(trimmed) {
		f.rejects = append(f.rejects, rejected{Raw: frame, Reason: "frame is not valid JSON"})
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
		f.rejects = append(f.rejects, rejected{Raw: frame, Reason: "frame is neither a JSON array nor an object"})
	}
	return f
}

func (d decoder) element(f *decodedFrame, frame []byte, el gjson.Result) {
	raw := rawOf(frame, el)
	if !el.IsObject() {
		f.rejects = append(f.rejects, rejected{Raw: raw, Reason: "array element is not a JSON object"})
		return
	}
	topic := el.Get("topicName").String()
	switch {
	case topic == "channel.metadata":
		return
	case topic == "v2.system.socket_closing":
		f.control = max(f.control, controlSocketClosing)
		return
	case topic == "v2.system.token_revoked":
		f.control = controlTokenRevoked
		return
	case strings.HasPrefix(topic, "v2.system."):
		return
	}
	ev, err := d.event(raw, el)
	if err != nil {
		f.rejects = append(f.rejects, rejected{Raw: raw, Reason: err.Error()})
		return
	}
	f.events = append(f.events, ev)
}

func (d decoder) event(raw []byte, el gjson.Result) (event, error) {
	t, err := parseTime(el.Get(d.TimeField))
	if err != nil {
		return event{}, fmt.Errorf("event time %q: %w", d.TimeField, err)
	}
	ev := event{Raw: raw, Time: t}
	var id gjson.Result
	if d.IDField != "" {
		id = el.Get(d.IDField)
	}
	if ev.DedupKey, err = dedupKey(raw, id); err != nil {
		return event{}, err
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

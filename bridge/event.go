package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

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

// decoder extracts the few fields the bridge needs from events without
// unmarshalling them (gjson reads paths straight from the bytes).
type decoder struct {
	TimeField      string // JSON path of the event time
	IDField        string // JSON path of the unique id; "" to always hash
	PartitionField string // JSON path of the record key; "" for the dedup key
}

// Reasons of rejects that do not depend on the content.
const (
	reasonNotJSON    = "frame is not valid JSON"
	reasonScalar     = "frame is neither a JSON array nor an object"
	reasonNotAnEvent = "array element is not a JSON object"
)

// walk decodes frame one element at a time, in frame order, and hands each
// to the caller before it decodes the next: every event to onEvent, and
// whatever cannot be an event to onReject with the reason (a frame that is
// not valid JSON, or not an array or object, is one reject of the whole
// frame, given before any element is decoded). So the caller can let each
// element wait for its in-flight slot, and a frame costs its own bytes plus
// what the caller keeps, not a slice of all its events.
//
// The control is the frame's (controlTokenRevoked wins over
// controlSocketClosing); it is known only once the whole frame is walked,
// and the frame's events are handed over whether or not it carries one.
// The first error of a callback stops the walk and is returned.
//
// An event's Raw is a window on frame; its keys are copies, so that they
// (in the dedup window, for instance) never keep the frame alive.
func (d decoder) walk(frame []byte, onEvent func(event) error, onReject func(rejected) error) (control, error) {
	trimmed := bytes.TrimSpace(frame)
	if !gjson.ValidBytes(trimmed) {
		return controlNone, onReject(rejected{Raw: frame, Reason: reasonNotJSON})
	}
	// gjson reads strings: read the frame's bytes as one instead of copying
	// up to MAX_FRAME_BYTES. The frame is never modified, and whatever is
	// kept from it is either a window on the bytes (Raw) or copied out
	// (keys, reasons).
	root := gjson.Parse(unsafe.String(unsafe.SliceData(trimmed), len(trimmed)))
	fw := frameWalk{d: d, frame: trimmed, onEvent: onEvent, onReject: onReject}
	var err error
	switch {
	case root.IsArray():
		root.ForEach(func(_, el gjson.Result) bool {
			err = fw.element(el)
			return err == nil
		})
	case root.IsObject():
		err = fw.element(root)
	default:
		return controlNone, onReject(rejected{Raw: frame, Reason: reasonScalar})
	}
	return fw.control, err
}

// frameWalk is the state of one walk.
type frameWalk struct {
	d        decoder
	frame    []byte // trimmed
	onEvent  func(event) error
	onReject func(rejected) error
	control  control
	// The reasons of the common rejects, built once per frame rather than
	// once per reject.
	noTime, nullTime string
}

func (fw *frameWalk) element(el gjson.Result) error {
	raw := rawOf(fw.frame, el)
	if !el.IsObject() {
		return fw.onReject(rejected{Raw: raw, Reason: reasonNotAnEvent})
	}
	topic := el.Get("topicName").String()
	switch {
	case topic == "channel.metadata":
		return nil
	case topic == "v2.system.socket_closing":
		fw.control = max(fw.control, controlSocketClosing)
		return nil
	case topic == "v2.system.token_revoked":
		fw.control = controlTokenRevoked
		return nil
	case strings.HasPrefix(topic, "v2.system."):
		return nil
	}
	ev, reason := fw.event(raw, el)
	if reason != "" {
		return fw.onReject(rejected{Raw: raw, Reason: reason})
	}
	return fw.onEvent(ev)
}

// event builds the event of raw, or returns why it cannot be one.
func (fw *frameWalk) event(raw []byte, el gjson.Result) (event, string) {
	d := &fw.d
	t, err := parseTime(el.Get(d.TimeField))
	if err != nil {
		return event{}, fw.timeReason(err)
	}
	ev := event{Raw: raw, Time: t}
	var id gjson.Result
	if d.IDField != "" {
		id = el.Get(d.IDField)
	}
	if ev.DedupKey, err = dedupKey(raw, id); err != nil {
		return event{}, err.Error()
	}
	ev.RecordKey = []byte(ev.DedupKey)
	if d.PartitionField != "" {
		if pk := el.Get(d.PartitionField); pk.Exists() && pk.Type != gjson.Null && pk.String() != "" {
			ev.RecordKey = []byte(pk.String())
		}
	}
	return ev, ""
}

// timeReason is the reject reason for an event time that parseTime refused:
// `event time "<TimeField>": <why>`.
func (fw *frameWalk) timeReason(err error) string {
	prefix := func() string { return "event time " + strconv.Quote(fw.d.TimeField) + ": " }
	switch err {
	case errNoTime:
		if fw.noTime == "" {
			fw.noTime = prefix() + err.Error()
		}
		return fw.noTime
	case errNullTime:
		if fw.nullTime == "" {
			fw.nullTime = prefix() + err.Error()
		}
		return fw.nullTime
	}
	return prefix() + err.Error()
}

// rawOf returns the bytes of el inside frame without copying.
func rawOf(frame []byte, el gjson.Result) []byte {
	end := el.Index + len(el.Raw)
	if el.Index >= 0 && end <= len(frame) && string(frame[el.Index:end]) == el.Raw {
		return frame[el.Index:end:end]
	}
	return []byte(el.Raw)
}

// parseTime's errors that do not depend on the content.
var (
	errNoTime   = errors.New("missing")
	errNullTime = errors.New("is null")
)

// parseTime accepts an RFC 3339 string or epoch milliseconds (a number, or a
// string of digits).
func parseTime(v gjson.Result) (time.Time, error) {
	switch v.Type {
	case gjson.String:
		s := v.Str
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return inRFC3339Range(time.UnixMilli(ms).UTC(), strconv.Quote(s))
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor epoch milliseconds", s)
		}
		return inRFC3339Range(t.UTC(), strconv.Quote(s))
	case gjson.Number:
		ms, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s is not whole epoch milliseconds", v.Raw)
		}
		return inRFC3339Range(time.UnixMilli(ms).UTC(), v.Raw)
	case gjson.Null:
		if v.Exists() {
			return time.Time{}, errNullTime
		}
		return time.Time{}, errNoTime
	default:
		return time.Time{}, fmt.Errorf("%s is not a time", v.Raw)
	}
}

// inRFC3339Range accepts a UTC event time only in the years 0000-9999: the
// record header (bridge-event-time, read back by the tail scan) and the
// checkpoint write it in RFC 3339, which has no other years.
func inRFC3339Range(t time.Time, text string) (time.Time, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("%s is outside the years 0000-9999 UTC", text)
	}
	return t, nil
}

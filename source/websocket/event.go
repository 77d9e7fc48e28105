package websocket

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/jsonlex"
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
	// RecordKey is the Kafka record key (partitioning) when
	// PARTITION_KEY_FIELD names a field the event has; nil for the dedup
	// key. It is only read.
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
// unmarshalling them: one scan of the frame's bytes reads them (scan.go),
// with gjson for the paths the scan does not follow.
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
//
// The frame is read twice: validSyntax checks it, then one scan (scan.go)
// splits it and reads every element's fields.
func (d decoder) walk(frame []byte, onEvent func(event) error, onReject func(rejected) error) (control, error) {
	trimmed := bytes.TrimSpace(frame)
	if !validSyntax(trimmed) {
		return controlNone, onReject(rejected{Raw: frame, Reason: reasonNotJSON})
	}
	fw := frameWalk{
		d: d, frame: trimmed, onEvent: onEvent, onReject: onReject,
		plan: newScanPlan([numSlots]string{slotTopic: "topicName", slotTime: d.TimeField, slotID: d.IDField, slotPartition: d.PartitionField}),
	}
	b := trimmed
	switch b[0] {
	case '[':
		i := jsonlex.SkipSpace(b, 1)
		for b[i] != ']' {
			end, err := fw.element(i)
			if err != nil {
				return fw.control, err
			}
			i = jsonlex.SkipSpace(b, end)
			if b[i] == ',' {
				i = jsonlex.SkipSpace(b, i+1)
			}
		}
		return fw.control, nil
	case '{':
		_, err := fw.element(0)
		return fw.control, err
	default:
		return controlNone, onReject(rejected{Raw: frame, Reason: reasonScalar})
	}
}

// frameWalk is the state of one walk.
type frameWalk struct {
	d        decoder
	frame    []byte // trimmed
	plan     scanPlan
	onEvent  func(event) error
	onReject func(rejected) error
	control  control
	// The reasons of the common rejects, built once per frame rather than
	// once per reject.
	noTime, nullTime string
}

// element decodes the element starting at frame[i] and returns the index
// just past it.
func (fw *frameWalk) element(i int) (int, error) {
	if fw.frame[i] != '{' {
		end := skipValue(fw.frame, i)
		return end, fw.onReject(rejected{Raw: fw.frame[i:end:end], Reason: reasonNotAnEvent})
	}
	var f fields
	end := fw.plan.scanObject(fw.frame, i, -1, &f)
	raw := fw.frame[i:end:end]
	topic := fw.plan.result(fw.frame, raw, &f, slotTopic).String()
	switch {
	case topic == "channel.metadata":
		return end, nil
	case topic == "v2.system.socket_closing":
		fw.control = max(fw.control, controlSocketClosing)
		return end, nil
	case topic == "v2.system.token_revoked":
		fw.control = controlTokenRevoked
		return end, nil
	case strings.HasPrefix(topic, "v2.system."):
		return end, nil
	}
	ev, reason := fw.event(raw, &f)
	if reason != "" {
		return end, fw.onReject(rejected{Raw: raw, Reason: reason})
	}
	return end, fw.onEvent(ev)
}

// event builds the event of raw, or returns why it cannot be one.
func (fw *frameWalk) event(raw []byte, f *fields) (event, string) {
	d := &fw.d
	t, err := parseTime(fw.plan.result(fw.frame, raw, f, slotTime))
	if err != nil {
		return event{}, fw.timeReason(err)
	}
	ev := event{Raw: raw, Time: t}
	var id gjson.Result
	if d.IDField != "" {
		id = fw.plan.result(fw.frame, raw, f, slotID)
	}
	if ev.DedupKey, err = dedupKey(raw, id); err != nil {
		return event{}, err.Error()
	}
	if d.PartitionField != "" {
		if pk := fw.plan.result(fw.frame, raw, f, slotPartition); pk.Exists() && pk.Type != gjson.Null && pk.String() != "" {
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
		// Only a string that can be epoch milliseconds goes to ParseInt:
		// its error for an RFC 3339 time cost four allocations per event.
		if isInteger(s) {
			if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
				return inRFC3339Range(time.UnixMilli(ms).UTC(), s, true)
			}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor epoch milliseconds", s)
		}
		return inRFC3339Range(t.UTC(), s, true)
	case gjson.Number:
		ms, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s is not whole epoch milliseconds", v.Raw)
		}
		return inRFC3339Range(time.UnixMilli(ms).UTC(), v.Raw, false)
	case gjson.Null:
		if v.Exists() {
			return time.Time{}, errNullTime
		}
		return time.Time{}, errNoTime
	default:
		return time.Time{}, fmt.Errorf("%s is not a time", v.Raw)
	}
}

// isInteger reports whether s has the form strconv.ParseInt accepts in base
// 10: an optional sign and at least one digit.
func isInteger(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// inRFC3339Range accepts a UTC event time only in the years 0000-9999: the
// record header (bridge-event-time, read back by the tail scan) and the
// checkpoint write it in RFC 3339, which has no other years.
// The text is the time as written, quoted in the error when it was a JSON
// string (quoting it only then spares the common case an allocation).
func inRFC3339Range(t time.Time, text string, quoted bool) (time.Time, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		if quoted {
			text = strconv.Quote(text)
		}
		return time.Time{}, fmt.Errorf("%s is outside the years 0000-9999 UTC", text)
	}
	return t, nil
}

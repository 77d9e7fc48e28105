package websocket

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/tidwall/gjson"
)

// referenceWalk is the frame walk as it was written with gjson alone (a
// ForEach over the frame, then one Get per field), kept as the oracle the
// scanner of scan.go must agree with: same events, rejects, reasons and
// control, in the same order.
func referenceWalk(d decoder, frame []byte) decodedFrame {
	var out decodedFrame
	onEvent := func(ev event) { out.calls = append(out.calls, len(out.events)); out.events = append(out.events, ev) }
	onReject := func(r rejected) {
		out.calls = append(out.calls, -1-len(out.rejects))
		out.rejects = append(out.rejects, r)
	}
	trimmed := bytes.TrimSpace(frame)
	if !gjson.ValidBytes(trimmed) {
		onReject(rejected{Raw: frame, Reason: reasonNotJSON})
		return out
	}
	root := gjson.Parse(unsafe.String(unsafe.SliceData(trimmed), len(trimmed)))
	fw := &frameWalk{d: d}
	element := func(el gjson.Result) {
		raw := trimmed[el.Index : el.Index+len(el.Raw)]
		if !el.IsObject() {
			onReject(rejected{Raw: raw, Reason: reasonNotAnEvent})
			return
		}
		switch topic := el.Get("topicName").String(); {
		case topic == "channel.metadata":
			return
		case topic == "v2.system.socket_closing":
			out.control = max(out.control, controlSocketClosing)
			return
		case topic == "v2.system.token_revoked":
			out.control = controlTokenRevoked
			return
		case strings.HasPrefix(topic, "v2.system."):
			return
		}
		t, err := parseTime(el.Get(d.TimeField))
		if err != nil {
			onReject(rejected{Raw: raw, Reason: fw.timeReason(err)})
			return
		}
		var id gjson.Result
		if d.IDField != "" {
			id = el.Get(d.IDField)
		}
		key, err := dedupKey(raw, id)
		if err != nil {
			onReject(rejected{Raw: raw, Reason: err.Error()})
			return
		}
		ev := event{Raw: raw, Time: t, DedupKey: key}
		if d.PartitionField != "" {
			if pk := el.Get(d.PartitionField); pk.Exists() && pk.Type != gjson.Null && pk.String() != "" {
				ev.RecordKey = []byte(pk.String())
			}
		}
		onEvent(ev)
	}
	switch {
	case root.IsArray():
		root.ForEach(func(_, el gjson.Result) bool { element(el); return true })
	case root.IsObject():
		element(root)
	default:
		onReject(rejected{Raw: frame, Reason: reasonScalar})
	}
	return out
}

// checkMatchesReference fails unless walk decoded frame as referenceWalk
// does.
func checkMatchesReference(t *testing.T, d decoder, frame []byte, got decodedFrame) {
	t.Helper()
	want := referenceWalk(d, frame)
	describe := func(f decodedFrame) string {
		var b strings.Builder
		fmt.Fprintf(&b, "control %v;", f.control)
		for _, c := range f.calls {
			if c >= 0 {
				ev := f.events[c]
				fmt.Fprintf(&b, " event{%q time %s key %q record key %q}", ev.Raw, ev.Time.Format("2006-01-02T15:04:05.999999999Z07:00"), ev.DedupKey, ev.RecordKey)
			} else {
				r := f.rejects[-1-c]
				fmt.Fprintf(&b, " reject{%q: %s}", r.Raw, r.Reason)
			}
		}
		return b.String()
	}
	if g, w := describe(got), describe(want); g != w {
		t.Fatalf("decoder %+v, frame %q:\n got %s\nwant %s (gjson alone)", d, frame, g, w)
	}
	for i, ev := range got.events {
		if !sameWindow(ev.Raw, want.events[i].Raw) {
			t.Fatalf("frame %q: event %d is another window on the frame than gjson's", frame, i)
		}
	}
}

// scannerCases are frames and paths where a scanner is easy to get wrong
// and gjson has an answer: escapes, duplicate keys, paths that meet arrays
// and scalars, white space everywhere, paths gjson reads specially.
var scannerCases = []struct {
	d      decoder
	frames []string
}{
	{decoder{TimeField: "timestamp", IDField: "id", PartitionField: "eventBody.conversationId"}, []string{
		` [ {"id" : "a" , "timestamp" : 1 , "eventBody" : { "conversationId" : "c" } } , { "id":"b","timestamp":2} ] `,
		"[\n\t{\"id\":\"a\",\"timestamp\":1}\r\n]",
		`[{"i\u0064":"escaped-key","timestamp":1},{"id":"a\"b\\","timestamp":2},{"id":"\\\\","timestamp":3}]`,
		`[{"id":"a","timestamp":1,"eventBody":{"conversationId":"first"},"eventBody":{"conversationId":"second"}}]`,
		`[{"id":"a","timestamp":1,"eventBody":{"other":1},"eventBody":{"conversationId":"second"}}]`,
		`[{"id":"a","timestamp":1,"eventBody":["conversationId","x"]}]`,
		`[{"id":"a","timestamp":1,"eventBody":"conversationId"}]`,
		`[{"id":"a","timestamp":1,"eventBody":{"x":{"conversationId":"deep"},"conversationId":7.5e1}}]`,
		`[{"id":"a","timestamp":1,"eventBody":{"conversationId":null}}]`,
		`[{"id":"a","timestamp":1,"eventBody":{"conversationId":""}}]`,
		`[{"id":"a","timestamp":1,"eventBody":{"conversationId":{"o":1}}}]`,
		`[{"id":"a","timestamp":1,"x":"]}{[\"","eventBody":{"conversationId":"c"}}]`,
		`[{"id":1.5e3,"timestamp":1},{"id":-0,"timestamp":1},{"id":true,"timestamp":1},{"id":{"a":1},"timestamp":1},{"id":[1],"timestamp":1}]`,
		`[{"topicName":"v2.system.\u0073ocket_closing"},{"topicName":"channel.metadata","id":"x","timestamp":1}]`,
		`[{"topicName":7,"id":"a","timestamp":1},{"topicName":{"a":1},"id":"b","timestamp":2}]`,
		`[{"timestamp":"2026-11-28T10:15:30Z","timestamp":"bad","id":"a"},{"timestamp":"\u0032026-11-28T10:15:30Z","id":"b"}]`,
		`[1,"s",null,true,[{"id":"x","timestamp":1}],{"id":"y","timestamp":1}]`,
		`{"id":"only","timestamp":1}`,
		`[]`, `[ ]`, `{}`,
	}},
	{decoder{TimeField: "meta.time", IDField: "meta.ids.0", PartitionField: "eventBody.*"}, []string{
		`[{"meta":{"time":1,"ids":["a","b"]},"eventBody":{"k":"v"}},{"meta":{"time":2,"ids":{"0":"c"}}}]`,
		`[{"meta":[{"time":1}]},{"meta":{"time":{"x":1}}},{"meta":"time"}]`,
	}},
	{decoder{TimeField: "a.b.c", IDField: "a.b", PartitionField: "a"}, []string{
		`[{"a":{"b":{"c":1}}},{"a":{"b":{"c":2},"b":{"c":3}}},{"a":{"b":"x"}},{"a":{"b":{"c":"1795860930123"}},"a":1}]`,
	}},
	{decoder{TimeField: "t", IDField: `i\.d`, PartitionField: "@this"}, []string{
		`[{"t":1,"i.d":"dotted"},{"t":2,"i":{"d":"nested"}}]`,
	}},
	{decoder{TimeField: "timestamp", IDField: "id", PartitionField: "topicName"}, []string{
		`[{"topicName":"v2.detail.x","id":"a","timestamp":1},{"topicName":"","id":"b","timestamp":1}]`,
	}},
}

func TestScannerMatchesGJSON(t *testing.T) {
	for _, c := range scannerCases {
		for _, frame := range c.frames {
			b := []byte(frame)
			checkMatchesReference(t, c.d, b, decodeAll(c.d, b))
		}
	}
	for _, frame := range frameSeeds {
		for _, d := range fuzzDecoders {
			b := []byte(frame)
			checkMatchesReference(t, d, b, decodeAll(d, b))
		}
	}
}

package websocket

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
)

func TestDecodeFrames(t *testing.T) {
	d := decoder{TimeField: "timestamp", IDField: "id", PartitionField: "eventBody.conversationId"}
	const ev1 = `{"id":"a","topicName":"v2.detail.events.conversation.c1.customer.start","timestamp":"2026-11-28T10:15:30.123Z","eventBody":{"conversationId":"c1"}}`
	const ev2 = `{"id":"b","timestamp":"2026-11-28T10:15:30.123Z","eventBody":{}}`
	tests := []struct {
		name       string
		frame      string
		events     []string // dedup keys
		recordKeys []string // "": none, the dedup key serves
		rejected   []string // reason substrings
		control    control
	}{
		{"array", "[" + ev1 + ", " + ev2 + "]", []string{"a", "b"}, []string{"c1", ""}, nil, controlNone},
		{"single object", ev1, []string{"a"}, []string{"c1"}, nil, controlNone},
		{"empty array", "[]", nil, nil, nil, controlNone},
		{"heartbeat", `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`, nil, nil, nil, controlNone},
		{"pong", `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`, nil, nil, nil, controlNone},
		{"socket closing", `{"topicName":"v2.system.socket_closing","eventBody":{}}`, nil, nil, nil, controlSocketClosing},
		{"token revoked", `{"topicName":"v2.system.token_revoked","eventBody":{}}`, nil, nil, nil, controlTokenRevoked},
		{"other system", `{"topicName":"v2.system.something_new"}`, nil, nil, nil, controlNone},
		{"not json", `{"id":`, nil, nil, []string{"not valid JSON"}, controlNone},
		{"scalar", `42`, nil, nil, []string{"neither a JSON array nor an object"}, controlNone},
		{"bad element", `[` + ev1 + `, 7]`, []string{"a"}, []string{"c1"}, []string{"not a JSON object"}, controlNone},
		{"no time", `[{"id":"x"}]`, nil, nil, []string{`event time "timestamp": missing`}, controlNone},
		{"bad time", `[{"id":"x","timestamp":"yesterday"}]`, nil, nil, []string{"neither RFC 3339"}, controlNone},
		{"null time", `[{"id":"x","timestamp":null}]`, nil, nil, []string{"is null"}, controlNone},
		{"mixed with control", `[` + ev1 + `,{"topicName":"channel.metadata"}]`, []string{"a"}, []string{"c1"}, nil, controlNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := decodeAll(d, []byte(tt.frame))
			if len(f.events) != len(tt.events) {
				t.Fatalf("events = %d, want %d (rejected %v)", len(f.events), len(tt.events), f.rejects)
			}
			for i, ev := range f.events {
				if ev.DedupKey != tt.events[i] || string(ev.RecordKey) != tt.recordKeys[i] {
					t.Errorf("event %d: key %q record key %q, want %q %q", i, ev.DedupKey, ev.RecordKey, tt.events[i], tt.recordKeys[i])
				}
			}
			if len(f.rejects) != len(tt.rejected) {
				t.Fatalf("rejected = %v, want %d", f.rejects, len(tt.rejected))
			}
			for i, r := range f.rejects {
				if !strings.Contains(r.Reason, tt.rejected[i]) {
					t.Errorf("reason %q lacks %q", r.Reason, tt.rejected[i])
				}
			}
			if f.control != tt.control {
				t.Errorf("control = %v, want %v", f.control, tt.control)
			}
		})
	}
}

func TestDecodeKeepsRawBytes(t *testing.T) {
	frame := []byte(`[ {"id":"a", "timestamp":"2026-11-28T10:15:30.123Z",  "x": 1.50} ,{"id":"b","timestamp":"2026-11-28T10:15:30Z"}]`)
	f := decodeAll(decoder{TimeField: "timestamp", IDField: "id"}, frame)
	if len(f.events) != 2 {
		t.Fatalf("events = %d", len(f.events))
	}
	want := `{"id":"a", "timestamp":"2026-11-28T10:15:30.123Z",  "x": 1.50}`
	if string(f.events[0].Raw) != want {
		t.Errorf("raw = %s, want %s", f.events[0].Raw, want)
	}
	// The value is a window on the frame, not a copy.
	if &f.events[0].Raw[0] != &frame[2] {
		t.Error("raw event was copied out of the frame")
	}
	if !f.events[1].Time.Equal(time.Date(2026, 11, 28, 10, 15, 30, 0, time.UTC)) {
		t.Errorf("time = %v", f.events[1].Time)
	}
}

func TestTimeFormats(t *testing.T) {
	want := time.Date(2026, 11, 28, 10, 15, 30, 123e6, time.UTC)
	for _, frame := range []string{
		`{"id":"x","t":"2026-11-28T10:15:30.123Z"}`,
		`{"id":"x","t":"2026-11-28T11:15:30.123+01:00"}`,
		`{"id":"x","t":1795860930123}`,
		`{"id":"x","t":"1795860930123"}`,
	} {
		f := decodeAll(decoder{TimeField: "t", IDField: "id"}, []byte(frame))
		if len(f.events) != 1 || !f.events[0].Time.Equal(want) || f.events[0].Time.Location() != time.UTC {
			t.Errorf("%s: got %+v rejected %v", frame, f.events, f.rejects)
		}
	}
	for _, frame := range []string{`{"t":1.5e3}`, `{"t":true}`, `{"t":{}}`} {
		if f := decodeAll(decoder{TimeField: "t"}, []byte(frame)); len(f.rejects) != 1 {
			t.Errorf("%s accepted as a time", frame)
		}
	}
}

func TestContentKeyStableUnderReserialisation(t *testing.T) {
	a := `{"topicName":"v2.detail.events.conversation.c1.customer.start","eventTime":1795860930123,"eventBody":{"conversationId":"c1","n":1.50,"tags":["x","y"]}}`
	b := "{ \"eventBody\" : {\"tags\":[\"x\",\"y\"], \"n\":1.50, \"conversationId\":\"c1\"},\n \"eventTime\":1795860930123, \"topicName\":\"v2.detail.events.conversation.c1.customer.start\"}"
	ka, err := contentkey.Of([]byte(a))
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := contentkey.Of([]byte(b))
	if ka != kb {
		t.Errorf("same content, different keys: %s %s", ka, kb)
	}
	if !strings.HasPrefix(ka, "sha256:") || len(ka) != len("sha256:")+64 {
		t.Errorf("key format %q", ka)
	}
	kc, _ := contentkey.Of([]byte(strings.Replace(a, `"c1"`, `"c2"`, 1)))
	if kc == ka {
		t.Error("different content, same key")
	}
	// Events without an id get the content key through the decoder too.
	f := decodeAll(decoder{TimeField: "eventTime", IDField: "id"}, []byte(b))
	if len(f.events) != 1 || f.events[0].DedupKey != ka {
		t.Errorf("decoder key %+v, want %s", f.events, ka)
	}
}

func TestDecodeHugeFrame(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	const n = 20000
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"id":"e`)
		buf.WriteString(strings.Repeat("x", 3))
		buf.WriteString(time.Duration(i).String())
		buf.WriteString(`","timestamp":"2026-11-28T10:15:30.123Z","eventBody":{"pad":"` + strings.Repeat("p", 200) + `"}}`)
	}
	buf.WriteByte(']')
	f := decodeAll(decoder{TimeField: "timestamp", IDField: "id"}, buf.Bytes())
	if len(f.events) != n || len(f.rejects) != 0 {
		t.Fatalf("events %d rejected %d, want %d and 0 (frame %d bytes)", len(f.events), len(f.rejects), n, buf.Len())
	}
}

func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i := 0; i < 100; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"id":"0b7c4bde-5d8a-4e8e-9b7f-2f1f6f3f6a1c","topicName":"v2.detail.events.conversation.c1.customer.start","version":"2","timestamp":"2026-11-28T10:15:30.123Z","eventBody":{"conversationId":"c1","participantId":"p1","sessionId":"s1","queueId":"q1","mediaType":"voice"},"metadata":{"CorrelationId":"x"}}`)
	}
	buf.WriteByte(']')
	d := decoder{TimeField: "timestamp", IDField: "id", PartitionField: "eventBody.conversationId"}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	n := 0
	onEvent := func(event) error { n++; return nil }
	onReject := func(r rejected) error { return errors.New(r.Reason) }
	for b.Loop() {
		n = 0
		if _, err := d.walk(buf.Bytes(), onEvent, onReject); err != nil || n != 100 {
			b.Fatal(n, err)
		}
	}
}

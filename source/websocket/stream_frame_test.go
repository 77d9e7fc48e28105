package websocket

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// A frame's events and dead letters are handed over in frame order, all of
// them (duplicates too: the core drops them), whatever control message the
// frame carries; the control acts once the frame is written, token revoked
// over socket closing.
func TestWriteFrameControlAndOrder(t *testing.T) {
	for _, tt := range []struct {
		name, frame string
		want        []string
		err         error
	}{
		{"events around both controls", `[{"topicName":"v2.system.token_revoked"},{"id":"a","timestamp":1},7,{"topicName":"v2.system.socket_closing"},{"id":"b","timestamp":2}]`,
			[]string{"event a", `dead 7 (array element is not a JSON object)`, "event b"}, errTokenRevoked},
		{"socket closing after an event", `[{"id":"a","timestamp":1},{"topicName":"v2.system.socket_closing"},{"timestamp":null}]`,
			[]string{"event a", `dead {"timestamp":null} (event time "timestamp": is null)`}, errSocketClosing},
		{"revoked alone", `{"topicName":"v2.system.token_revoked","eventBody":{}}`, nil, errTokenRevoked},
		{"heartbeat", `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`, nil, nil},
		{"interleaved", `[{},{"id":"a","timestamp":1},{"id":"a","timestamp":1},"x",{"id":"b","timestamp":"then"}]`,
			[]string{`dead {} (event time "timestamp": missing)`, "event a", "event a", `dead "x" (array element is not a JSON object)`,
				`dead {"id":"b","timestamp":"then"} (event time "timestamp": "then" is neither RFC 3339 nor epoch milliseconds)`}, nil},
		{"not JSON", `[{"id":"a","timestamp":1},`, []string{`dead [{"id":"a","timestamp":1}, (frame is not valid JSON)`}, nil},
		{"scalar", ` 42 `, []string{`dead  42  (frame is neither a JSON array nor an object)`}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(100)
			err := r.frameWriter(t.Context()).write([]byte(tt.frame))
			if err != tt.err {
				t.Errorf("write = %v, want %v", err, tt.err)
			}
			var got []string
			for _, rec := range r.encode() {
				got = append(got, rec.describe())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// Each element waits for its in-flight slot before the next is decoded: a
// frame far larger than the bound has decoded one element more than the
// bound holds while it waits, and ends with its context.
func TestWriteFrameWaitsForSlotsElementByElement(t *testing.T) {
	const bound, n = 10, 1000
	r := newRig(bound)
	frame, _ := buildFrame(1<<20, n, func(i int) string {
		return `{"id":"e` + strconv.Itoa(i) + `","timestamp":` + strconv.Itoa(i+1) + `}`
	})
	ctx, cancel := context.WithCancelCause(t.Context())
	stop := errors.New("stop")
	done := make(chan error, 1)
	go func() { done <- r.frameWriter(ctx).write(frame) }()
	deadline := time.Now().Add(10 * time.Second)
	for r.inFlight() < bound {
		if time.Now().After(deadline) {
			t.Fatalf("%d records in flight, want %d", r.inFlight(), bound)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // were it to decode ahead, it would now
	if last := r.latest(); !last.Equal(time.UnixMilli(bound + 1)) {
		t.Errorf("latest event decoded at %v: want the %dth, waiting for its slot (%v)", last, bound+1, time.UnixMilli(bound+1))
	}
	cancel(stop)
	if err := <-done; err != stop {
		t.Errorf("write = %v, want the context's cause", err)
	}
	if got := len(r.encode()); got != bound {
		t.Errorf("%d records sent, want %d", got, bound)
	}
}

// A frame of many rejects hands over every dead letter, each with its
// reason, and logs one line for the frame.
func TestWriteFrameLogsDeadLettersOncePerFrame(t *testing.T) {
	r := newRig(5000)
	frame, n := buildFrame(1<<20, 3000, func(int) string { return `{}` })
	if err := r.frameWriter(t.Context()).write(frame); err != nil {
		t.Fatal(err)
	}
	recs := r.encode()
	if len(recs) != n {
		t.Fatalf("%d dead letters, want %d", len(recs), n)
	}
	for _, rec := range recs {
		if got := rec.describe(); got != `dead {} (event time "timestamp": missing)` {
			t.Fatalf("dead letter %s", got)
		}
	}
	if got := r.lines.n.Load(); got != 1 {
		t.Errorf("%d log lines for one frame, want 1", got)
	}
	// The next frame logs its own.
	if err := r.frameWriter(t.Context()).write([]byte(`[7]`)); err != nil {
		t.Fatal(err)
	}
	if got := r.lines.n.Load(); got != 2 {
		t.Errorf("%d log lines for two frames, want 2", got)
	}
}

// Dedup keys are copies, not windows on the frame: the dedup window must
// not keep whole frames alive.
func TestDedupKeysDoNotAliasTheFrame(t *testing.T) {
	frame := []byte(`[{"id":"abc","timestamp":1},{"id":12345,"timestamp":1},{"timestamp":1,"x":"y"}]`)
	f := decodeAll(decoder{TimeField: "timestamp", IDField: "id"}, frame)
	if len(f.events) != 3 {
		t.Fatalf("%d events", len(f.events))
	}
	for _, ev := range f.events {
		if within(frame, unsafe.Slice(unsafe.StringData(ev.DedupKey), len(ev.DedupKey))) || within(frame, ev.RecordKey) {
			t.Errorf("key %q aliases the frame", ev.DedupKey)
		}
	}
}

// within reports whether b's memory lies inside frame's.
func within(frame, b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i := range frame {
		if &frame[i] == &b[0] {
			return true
		}
	}
	return false
}

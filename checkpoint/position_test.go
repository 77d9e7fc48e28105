package checkpoint_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

func TestPositionRoundTrip(t *testing.T) {
	p := checkpoint.Position{
		Bridge:      "b",
		Topic:       "analytics.events",
		Source:      "websocket",
		State:       []byte(`{"k":[1,2]}`),
		Since:       time.Date(2026, 11, 28, 10, 15, 30, 123e6, time.UTC),
		HighWater:   time.Date(2026, 11, 28, 10, 15, 32, 123e6, time.UTC),
		ScanFrom:    map[int]int64{0: 12, 1: 0, 2: 7},
		DLQScanFrom: map[int]int64{0: 3},
		Written:     time.Date(2026, 11, 28, 10, 15, 33, 0, time.UTC),
		Writer:      "pod-0",
		Stopped:     true,
	}
	b, err := checkpoint.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkpoint.Decode(b)
	if err != nil {
		t.Fatalf("Decode(%s): %v", b, err)
	}
	if !got.Since.Equal(p.Since) || !got.HighWater.Equal(p.HighWater) || got.Bridge != p.Bridge || got.Topic != p.Topic || len(got.ScanFrom) != 3 || got.ScanFrom[0] != 12 || got.ScanFrom[2] != 7 ||
		got.Writer != p.Writer || !got.Stopped || got.Source != p.Source || string(got.State) != string(p.State) || got.DLQScanFrom[0] != 3 {
		t.Errorf("round trip changed the position:\n got %+v\nwant %+v", got, p)
	}
}

func TestDecodeRefusesToGuess(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  error
	}{
		{"not json", `{"v":1,`, checkpoint.ErrCorrupt},
		{"no version", `{"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z"}`, checkpoint.ErrCorrupt},
		{"newer version", `{"v":3,"bridge":"b","topic":"t","source":"websocket","since":"2026-11-28T10:15:30Z"}`, checkpoint.ErrVersion},
		{"v2 without source", `{"v":2,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z"}`, checkpoint.ErrCorrupt},
		{"bad dead-letter partition", `{"v":2,"bridge":"b","topic":"t","source":"s","since":"2026-11-28T10:15:30Z","dlq_scan_from":{"01":1}}`, checkpoint.ErrCorrupt},
		{"no since", `{"v":1,"bridge":"b","topic":"t"}`, checkpoint.ErrCorrupt},
		{"bad partition", `{"v":1,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z","scan_from":{"x":1}}`, checkpoint.ErrCorrupt},
		{"negative offset", `{"v":1,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z","scan_from":{"0":-1}}`, checkpoint.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := checkpoint.Decode([]byte(tt.value)); !errors.Is(err, tt.want) {
				t.Errorf("Decode = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVersion1RecordsStillLoad: a record of the release before sources had
// positions of their own is the WebSocket source's, and loads unchanged.
func TestVersion1RecordsStillLoad(t *testing.T) {
	v1 := `{"v":1,"bridge":"b","topic":"analytics.events","since":"2026-11-28T10:15:30.123Z","high_water":"2026-11-28T10:15:32.123Z",` +
		`"scan_from":{"0":12,"1":0},"written":"2026-11-28T10:15:33Z","writer":"pod-0"}`
	p, err := checkpoint.Decode([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != "websocket" || p.Bridge != "b" || p.ScanFrom[0] != 12 || len(p.DLQScanFrom) != 0 || p.State != nil ||
		!p.Since.Equal(time.Date(2026, 11, 28, 10, 15, 30, 123e6, time.UTC)) || p.Writer != "pod-0" {
		t.Errorf("version 1 record decoded as %+v", p)
	}
	again, err := checkpoint.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(again), `"v":2`) || !strings.Contains(string(again), `"source":"websocket"`) {
		t.Errorf("re-encoded as %s, want version 2 with its source", again)
	}
}

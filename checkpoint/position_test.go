package checkpoint_test

import (
	"errors"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

func TestPositionRoundTrip(t *testing.T) {
	p := checkpoint.Position{
		Bridge:    "b",
		Topic:     "analytics.events",
		Since:     time.Date(2026, 11, 28, 10, 15, 30, 123e6, time.UTC),
		HighWater: time.Date(2026, 11, 28, 10, 15, 32, 123e6, time.UTC),
		ScanFrom:  map[int]int64{0: 12, 1: 0, 2: 7},
		Written:   time.Date(2026, 11, 28, 10, 15, 33, 0, time.UTC),
		Writer:    "pod-0",
		Stopped:   true,
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
		got.Writer != p.Writer || !got.Stopped {
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
		{"newer version", `{"v":2,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z"}`, checkpoint.ErrVersion},
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

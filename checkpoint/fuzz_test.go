package checkpoint_test

import (
	"encoding/json"
	"errors"
	"maps"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// FuzzDecode: a checkpoint record value is read back from a topic anyone
// with write access can produce to. Decode never panics, fails only with
// ErrCorrupt or ErrVersion, and whatever it accepts encodes and decodes
// again to the same position.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"bridge":"b","topic":"analytics.events","since":"2026-11-28T10:15:30.123Z","high_water":"2026-11-28T10:15:32.123Z","scan_from":{"0":12,"1":0,"2":7},"written":"2026-11-28T10:15:33Z","writer":"pod-0","stopped":true}`,
		`{"v":1,"bridge":"b","topic":"t","since":"2026-11-28T11:15:30.123456789+01:00"}`,
		`{"v":1,"bridge":"b","topic":"t","since":"0000-01-01T00:00:00+01:00"}`,
		`{"v":1,"bridge":"b","topic":"t","since":"9999-12-31T23:59:59-01:00"}`,
		`{"v":1,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z","scan_from":{"0":1,"00":2,"+0":3}}`,
		`{"v":1,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z","scan_from":{"9223372036854775807":9223372036854775807}}`,
		`{"v":1,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z","scan_from":{"0":-1}}`,
		`{"v":1,"V":2,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z"}`,
		`{"V":1,"Bridge":"b","TOPIC":"t","Since":"2026-11-28T10:15:30Z","bridge":"c"}`,
		`{"v":1.0,"bridge":"b","topic":"t","since":"2026-11-28T10:15:30Z"}`,
		`{"v":2}`, `{"v":null}`, `{}`, `null`, `[]`, `{"v":1,`, ``,
		"{\"v\":1,\"bridge\":\"\xff\",\"topic\":\"t\",\"since\":\"2026-11-28T10:15:30Z\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		p, err := checkpoint.Decode(value)
		if err != nil {
			if !errors.Is(err, checkpoint.ErrCorrupt) && !errors.Is(err, checkpoint.ErrVersion) {
				t.Fatalf("Decode error %v is neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		// Two keys naming one partition ("0", "00", "+0") would leave the
		// offset to map iteration order: decoding would not be a function.
		var keys struct {
			ScanFrom map[string]int64 `json:"scan_from"`
		}
		if err := json.Unmarshal(value, &keys); err == nil && len(keys.ScanFrom) != len(p.ScanFrom) {
			t.Fatalf("scan_from %v decoded as %v: keys name the same partition", keys.ScanFrom, p.ScanFrom)
		}
		b, err := checkpoint.Encode(p)
		if err != nil {
			t.Fatalf("Decode accepted %q as %+v, which does not encode: %v", value, p, err)
		}
		q, err := checkpoint.Decode(b)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", b, err)
		}
		if q.Bridge != p.Bridge || q.Topic != p.Topic || q.Writer != p.Writer || q.Stopped != p.Stopped ||
			!q.Since.Equal(p.Since) || !q.HighWater.Equal(p.HighWater) || !q.Written.Equal(p.Written) || !maps.Equal(q.ScanFrom, p.ScanFrom) {
			t.Fatalf("round trip changed the position:\n got %+v\nwant %+v\n(%q)", q, p, b)
		}
		if b2, err := checkpoint.Encode(q); err != nil || string(b2) != string(b) {
			t.Fatalf("encoding is not stable: %q then %q (%v)", b, b2, err)
		}
	})
}

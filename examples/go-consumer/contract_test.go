package goconsumer

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func rec(headers ...string) *kgo.Record {
	r := &kgo.Record{Topic: "t"}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: headers[i], Value: []byte(headers[i+1])})
	}
	return r
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		name string
		r    *kgo.Record
		want string
	}{
		{"event", rec(HeaderKind, "event", HeaderDedupKey, "a"), KindEvent},
		{"gap", rec(HeaderKind, "gap", HeaderGap, "true"), KindGap},
		{"dead letter", rec(HeaderKind, "dead-letter"), KindDeadLetter},
		{"a later source's kind", rec(HeaderKind, "conversation-detail"), "conversation-detail"},
		{"old event: no kind", rec(HeaderDedupKey, "a", HeaderName, "b"), KindEvent},
		{"old gap marker: bridge-gap only", rec(HeaderGap, "true", HeaderName, "b"), KindGap},
		{"the kind wins over bridge-gap", rec(HeaderGap, "true", HeaderKind, "event"), KindEvent},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := KindOf(c.r); got != c.want {
				t.Errorf("KindOf = %q, want %q", got, c.want)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	at := "2026-12-01T10:00:00.125Z"
	ev := func(key, time string) *kgo.Record {
		return rec(HeaderKind, "event", HeaderName, "b", HeaderDedupKey, key, HeaderEventTime, time)
	}
	for _, c := range []struct {
		name    string
		o       Options
		recs    []*kgo.Record
		want    []string // dedup keys passed on
		skipped []string // kinds skipped
		wantErr bool
	}{
		{"events pass, other kinds are skipped", Options{Bridge: "b"},
			[]*kgo.Record{ev("a", at), rec(HeaderKind, "gap", HeaderName, "b"), rec(HeaderGap, "true", HeaderName, "b"), ev("b", at)},
			[]string{"a", "b"}, []string{"gap", "gap"}, false},
		{"another bridge's records are skipped", Options{Bridge: "b"},
			[]*kgo.Record{rec(HeaderKind, "event", HeaderName, "c", HeaderDedupKey, "x", HeaderEventTime, at)},
			nil, []string{"other-bridge"}, false},
		{"without dedup a copy passes", Options{}, []*kgo.Record{ev("a", at), ev("a", at)}, []string{"a", "a"}, nil, false},
		{"with dedup a copy is dropped", Options{Dedup: true}, []*kgo.Record{ev("a", at), ev("a", at)}, []string{"a"}, []string{"duplicate"}, false},
		{"an event without a dedup key is an error", Options{}, []*kgo.Record{rec(HeaderKind, "event", HeaderEventTime, at)}, nil, nil, true},
		{"an event without a time is an error", Options{}, []*kgo.Record{rec(HeaderKind, "event", HeaderDedupKey, "a")}, nil, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var skipped []string
			c.o.Skipped = func(kind string, _ *kgo.Record) { skipped = append(skipped, kind) }
			f := filter{o: c.o}
			if c.o.Dedup {
				f.seen = newWindow(time.Hour)
			}
			var got []string
			var err error
			for _, r := range c.recs {
				var ev Event
				var ok bool
				if ev, ok, err = f.accept(r); err != nil {
					break
				}
				if ok {
					got = append(got, ev.DedupKey)
				}
			}
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want one: %v", err, c.wantErr)
			}
			if !equal(got, c.want) || !equal(skipped, c.skipped) {
				t.Errorf("passed %q skipped %q, want %q and %q", got, skipped, c.want, c.skipped)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

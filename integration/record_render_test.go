package integration_test

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordSample renders a record as the README shows it: topic, partition,
// key ((null) for none), timestamp, headers sorted by name, value.
func recordSample(r *kgo.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "topic:     %s\n", r.Topic)
	fmt.Fprintf(&b, "partition: %d\n", r.Partition)
	if r.Key == nil {
		b.WriteString("key:       (null)\n")
	} else {
		fmt.Fprintf(&b, "key:       %s\n", r.Key)
	}
	fmt.Fprintf(&b, "timestamp: %s\n", r.Timestamp.UTC().Format(time.RFC3339Nano))
	b.WriteString("headers:\n")
	hs := slices.Clone(r.Headers)
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Key < hs[j].Key })
	for _, h := range hs {
		fmt.Fprintf(&b, "  %s: %s\n", h.Key, h.Value)
	}
	fmt.Fprintf(&b, "value:     %s\n", r.Value)
	return b.String()
}

// rfc3339 matches the times the bridge and the simulator write: UTC, with
// up to nine fraction digits.
var rfc3339 = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z`)

// normaliseTimes replaces the times of a run in samples with fixed ones,
// keeping their order and which of them are the same instant (to the
// millisecond, a record timestamp's precision): the k-th distinct instant
// becomes 2026-12-01T10:00:0k.123456789Z, printed with 3 fraction digits
// where the original had up to 3 and with 9 where it had more.
func normaliseTimes(samples map[string]string) map[string]string {
	var instants []time.Time
	seen := map[time.Time]bool{}
	for _, s := range samples {
		for _, m := range rfc3339.FindAllString(s, -1) {
			t := mustParse(m)
			if !seen[t] {
				seen[t] = true
				instants = append(instants, t)
			}
		}
	}
	sort.Slice(instants, func(i, j int) bool { return instants[i].Before(instants[j]) })
	base := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	index := map[time.Time]int{}
	for i, t := range instants {
		index[t] = i
	}
	out := map[string]string{}
	for kind, s := range samples {
		out[kind] = rfc3339.ReplaceAllStringFunc(s, func(m string) string {
			t := base.Add(time.Duration(index[mustParse(m)]) * time.Second)
			if digits := len(m) - len("2006-01-02T15:04:05Z"); digits > 4 { // "." and more than 3 digits
				return t.Format("2006-01-02T15:04:05.000000000Z")
			}
			return t.Format("2006-01-02T15:04:05.000Z")
		})
	}
	return out
}

func mustParse(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err) // the pattern only matches RFC 3339 times
	}
	return t.Truncate(time.Millisecond)
}

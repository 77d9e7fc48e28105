package integration_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's record samples from this run")

// malformedFrame is the dead letter of the README's sample.
const malformedFrame = `{"id":"broken",`

// TestReadmeRecordSamples runs the bridge into each kind of record the
// README's "Consuming the topic" shows, renders each as read back from
// Kafka (recordSample) and requires the README to hold exactly that
// rendering, so that the samples cannot drift from what the bridge writes.
// After a deliberate change, -update-readme rewrites them:
//
//	go test -run TestReadmeRecordSamples ./integration -args -update-readme
func TestReadmeRecordSamples(t *testing.T) {
	// The simulator's first events are the same for every run (seed 1);
	// the retention fault makes the restart write a gap marker.
	h := newHarness(t, sim.Config{Rate: 200, Retention: 2 * time.Second, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.OnStaleSince = string(config.StaleSinceResumeNow)
		// The default name, because it is the gap marker's key and so
		// chooses its partition. The topics stay the test's own.
		e.BridgeName = config.Defaults().BridgeName
	})
	h.stopUntilSinceExpires()
	h.start()
	gap := h.waitRecord(h.env.KafkaTopic, "a gap marker", func(r *kgo.Record) bool { return header(r, bridge.HeaderGap) == "true" })
	// After the gap, a frame the bridge cannot parse.
	waitFor(t, "an upstream connection after the gap", func() bool { return h.sim.Active() > 0 })
	h.sim.InjectFrame([]byte(malformedFrame))
	dlqTopic := h.config().KafkaDLQTopic
	dead := h.waitRecord(dlqTopic, "the dead letter", func(r *kgo.Record) bool { return string(r.Value) == malformedFrame })
	first := h.sim.Ledger()[0].ID
	event := h.waitRecord(h.env.KafkaTopic, "the first event", func(r *kgo.Record) bool { return header(r, bridge.HeaderDedupKey) == first })

	// Run-specific names become the defaults; times are normalised.
	names := strings.NewReplacer(
		dlqTopic, "analytics.events.dlq",
		h.env.KafkaTopic, "analytics.events",
		strings.TrimPrefix(h.sim.EventsURL(), "ws://"), "analytics.example.com",
	)
	samples := normaliseTimes(map[string]string{
		"event":       names.Replace(recordSample(event)),
		"gap":         names.Replace(recordSample(gap)),
		"dead-letter": names.Replace(recordSample(dead)),
	})

	path := filepath.Join("..", "README.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme, failed := string(raw), false
	for _, kind := range []string{"event", "gap", "dead-letter"} {
		from, to, err := readmeSample(readme, kind)
		if err != nil {
			t.Fatal(err)
		}
		if got := readme[from:to]; got != samples[kind] {
			if *updateReadme {
				readme = readme[:from] + samples[kind] + readme[to:]
				continue
			}
			failed = true
			t.Errorf("the README's %s sample differs from this run's record:\n--- README\n%s--- this run\n%s", kind, got, samples[kind])
		}
	}
	if *updateReadme {
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if failed {
		t.Log("after a deliberate change: go test -run TestReadmeRecordSamples ./integration -args -update-readme")
	}
}

// sampleMarker precedes each sample's fenced block in the README.
func sampleMarker(kind string) string {
	return "<!-- record sample: " + kind + " (TestReadmeRecordSamples) -->\n```text\n"
}

// readmeSample locates the body of kind's sample block: readme[from:to].
func readmeSample(readme, kind string) (from, to int, err error) {
	marker := sampleMarker(kind)
	i := strings.Index(readme, marker)
	if i < 0 {
		return 0, 0, fmt.Errorf("README.md has no %q", marker)
	}
	from = i + len(marker)
	j := strings.Index(readme[from:], "```\n")
	if j < 0 {
		return 0, 0, fmt.Errorf("README.md: the %s sample's block does not end", kind)
	}
	return from, from + j, nil
}

// waitRecord reads topic from its start (read_committed, as consumers
// should) until a record matches, and returns it.
func (h *harness) waitRecord(topic, what string, match func(*kgo.Record) bool) *kgo.Record {
	h.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(h.kafka.Brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.MetadataMinAge(100 * time.Millisecond),
	}, h.kafka.ReaderOpts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			h.t.Fatalf("no %s in %s within %s", what, topic, waitLimit)
		}
		for it := fs.RecordIter(); !it.Done(); {
			if r := it.Next(); match(r) {
				return r
			}
		}
	}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

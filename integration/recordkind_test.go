package integration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// TestEveryRecordCarriesItsKind: events, a gap marker and dead letters each
// say what they are in bridge-record-kind, with the headers that apply to
// them, so that a stream processor never has to parse a value to tell.
func TestEveryRecordCarriesItsKind(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 200, Retention: 2 * time.Second, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.OnStaleSince = string(config.StaleSinceResumeNow)
	})
	h.stopUntilSinceExpires()
	second := h.start()
	h.waitConnections(2)
	h.sim.InjectFrame([]byte(`{"id":"broken",`))
	h.sim.InjectFrame([]byte(`[{"id":"no-time","topicName":"x"}]`))
	waitFor(t, "a gap marker and two dead letters", func() bool {
		return len(h.kinds(h.env.KafkaTopic)[source.KindGap]) == 1 && len(h.kinds(h.env.KafkaTopic + ".dlq")[source.KindDeadLetter]) == 2
	})
	if err := second.stop(t); err != nil {
		t.Fatal(err)
	}
	events, dlq := h.kinds(h.env.KafkaTopic), h.kinds(h.env.KafkaTopic+".dlq")
	if len(events[source.KindEvent]) == 0 || len(events) != 2 || len(dlq) != 1 {
		t.Fatalf("kinds in the event topic %v, in the dead-letter topic %v", keysOf(events), keysOf(dlq))
	}
	want := map[string][]string{
		source.KindEvent:      {bridge.HeaderDedupKey, bridge.HeaderEventTime, bridge.HeaderBridge},
		source.KindGap:        {bridge.HeaderDedupKey, bridge.HeaderEventTime, bridge.HeaderBridge, bridge.HeaderGap},
		source.KindDeadLetter: {bridge.HeaderDedupKey, bridge.HeaderEventTime, bridge.HeaderBridge, bridge.HeaderError, bridge.HeaderReceivedAt},
	}
	for _, byKind := range []map[string][]kafkatest.Record{events, dlq} {
		for kind, recs := range byKind {
			for _, r := range recs {
				for _, hdr := range want[kind] {
					if r.Headers[hdr] == "" {
						t.Errorf("a %s record at %d/%d lacks %s: %v", kind, r.Partition, r.Offset, hdr, r.Headers)
					}
				}
				if _, err := time.Parse(time.RFC3339Nano, r.Headers[bridge.HeaderEventTime]); err != nil {
					t.Errorf("a %s record's %s: %v", kind, bridge.HeaderEventTime, err)
				}
			}
		}
	}
	for _, r := range dlq[source.KindDeadLetter] {
		if string(r.Key) != r.Headers[bridge.HeaderDedupKey] || !strings.HasPrefix(string(r.Key), "dlq:sha256:") {
			t.Errorf("dead letter keyed %q, dedup key %q: want its dedup key as its key", r.Key, r.Headers[bridge.HeaderDedupKey])
		}
	}
	if gap := events[source.KindGap][0]; string(gap.Key) != h.env.BridgeName || !strings.HasPrefix(gap.Headers[bridge.HeaderDedupKey], "gap:") {
		t.Errorf("gap marker keyed %q with dedup key %q", gap.Key, gap.Headers[bridge.HeaderDedupKey])
	}
}

// TestABadFrameSentAgainIsDeadLetteredOnce: a bad element the upstream
// sends again in a replay (after a reconnect, or after a restart) lands in
// the dead-letter topic once, as events do in theirs.
func TestABadFrameSentAgainIsDeadLetteredOnce(t *testing.T) {
	for _, transactions := range []string{"true", "false"} {
		t.Run("transactions="+transactions, func(t *testing.T) {
			// The stream ends before the bad element, so that every
			// reconnect replays from before it and sends it again.
			h := newHarness(t, sim.Config{Rate: 500, MaxEvents: 100, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
				e.KafkaTransactions = transactions
			})
			const bad = `{"id":"no-time","topicName":"x"}`
			first := h.start()
			h.waitConnections(1)
			requireExactlyOnce(t, h.waitDelivered())
			injected := time.Now().UTC().Truncate(time.Millisecond) // the element's time is not before this
			h.sim.InjectLogged([]byte(bad))
			waitFor(t, "the first dead letter", func() bool { return h.deadLetters()[bad] == 1 })
			// settle waits for a sentinel sent after the replay of a new
			// connection: once it is a dead letter, the bad element the
			// replay sent again before it was decided.
			settle := func(sentinel string) {
				h.sim.InjectFrame([]byte(`[{"id":"` + sentinel + `"}]`))
				waitFor(t, "dead letter "+sentinel, func() bool { return h.deadLetters()[`{"id":"`+sentinel+`"}`] == 1 })
			}
			h.sim.ResetConnections()
			h.waitConnections(2)
			settle("after-reconnect")
			if err := first.stop(t); err != nil {
				t.Fatal(err)
			}
			// After a restart the window is rebuilt from the dead-letter
			// topic's tail.
			second := h.start()
			h.waitConnections(3)
			settle("after-restart")
			if err := second.stop(t); err != nil { // flushes whatever is in flight
				t.Fatal(err)
			}
			if n := h.deadLetters()[bad]; n != 1 {
				t.Errorf("the bad element replayed twice is %d dead letters, want 1", n)
			}
			// The test means something only if both replays sent it again.
			for i, c := range h.sim.Connections()[1:3] {
				since, err := time.Parse(time.RFC3339Nano, c.Since)
				if err != nil || since.After(injected) {
					t.Errorf("connection %d replayed from %q, after the bad element (%s): it was not sent again (%v)", i+2, c.Since, injected, err)
				}
			}
		})
	}
}

// kinds reads topic and groups its records by bridge-record-kind ("" for
// none).
func (h *harness) kinds(topic string) map[string][]kafkatest.Record {
	h.t.Helper()
	recs, err := h.kafka.ReadAll(h.t.Context(), topic)
	if err != nil {
		h.t.Fatalf("reading %s: %v", topic, err)
	}
	out := map[string][]kafkatest.Record{}
	for _, r := range recs {
		out[r.Headers[bridge.HeaderRecordKind]] = append(out[r.Headers[bridge.HeaderRecordKind]], r)
	}
	return out
}

// deadLetters counts the dead-letter topic's records by value.
func (h *harness) deadLetters() map[string]int {
	counts := map[string]int{}
	for _, recs := range h.kinds(h.env.KafkaTopic + ".dlq") {
		for _, r := range recs {
			counts[string(r.Value)]++
		}
	}
	return counts
}

func keysOf[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

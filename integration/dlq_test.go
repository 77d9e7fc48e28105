package integration_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

func TestMalformedInputGoesToTheDeadLetterTopic(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 500, MaxEvents: 600, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.start()
	h.waitConnections(1)
	_ = h.sim.WaitEmitted(t.Context(), 100)
	h.sim.InjectFrame([]byte(`{"id":"broken",`))
	h.sim.InjectFrame([]byte(`[{"id":"no-time","topicName":"x"}]`))
	requireExactlyOnce(t, h.waitDelivered()) // the stream went on
	var dlq []string
	waitFor(t, "two dead letters", func() bool {
		recs, err := h.kafka.ReadAll(t.Context(), h.env.KafkaTopic+".dlq")
		if err != nil {
			t.Fatal(err)
		}
		dlq = dlq[:0]
		for _, r := range recs {
			dlq = append(dlq, r.Headers[bridge.HeaderError]+" | "+string(r.Value))
		}
		return len(recs) >= 2
	})
	joined := bytes.Join(func() [][]byte {
		var out [][]byte
		for _, d := range dlq {
			out = append(out, []byte(d))
		}
		return out
	}(), []byte("\n"))
	for _, want := range []string{`not valid JSON | {"id":"broken",`, `event time "timestamp": missing | {"id":"no-time","topicName":"x"}`} {
		if !bytes.Contains(joined, []byte(want)) {
			t.Errorf("dead letters lack %q:\n%s", want, joined)
		}
	}
}

// An event larger than KAFKA_BATCH_BYTES would be refused by the broker on
// every replay; it goes to the dead-letter topic, cut to fit, and the
// stream goes on.
func TestOversizedEventIsDeadLetteredNotRetriedForever(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 300, MaxEvents: 600, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.KafkaBatchBytes = "65536"
	})
	h.start()
	h.waitConnections(1)
	_ = h.sim.WaitEmitted(t.Context(), 100)
	big := `{"id":"huge","timestamp":"` + time.Now().UTC().Format(time.RFC3339Nano) + `","eventBody":{"pad":"` + strings.Repeat("x", 200000) + `"}}`
	h.sim.InjectFrame([]byte(big))
	requireExactlyOnce(t, h.waitDelivered())
	waitFor(t, "the oversized event in the dead-letter topic", func() bool {
		recs, err := h.kafka.ReadAll(t.Context(), h.env.KafkaTopic+".dlq")
		if err != nil {
			return false
		}
		for _, r := range recs {
			if strings.Contains(r.Headers[bridge.HeaderError], "dedup key huge") && len(r.Value) <= 65536 {
				return true
			}
		}
		return false
	})
}

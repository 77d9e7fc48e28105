package integration_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
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

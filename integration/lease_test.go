package integration_test

import (
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// TestSecondInstanceStandsBy starts two bridges with one name: only the
// lease holder may connect and produce; the other takes over when the
// holder stops, and the result is still exactly once.
func TestSecondInstanceStandsBy(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 500, BatchSize: 10, MaxEvents: 2500, HeartbeatInterval: 200 * time.Millisecond}, nil)
	first := h.start()
	waitFor(t, "the first bridge to stream", func() bool { return first.b.State() == bridge.StateStreaming })
	other := *h
	other.env.BridgeInstanceID = h.env.BridgeName + "-2"
	second := other.start()
	waitFor(t, "the second bridge to stand by", func() bool { return second.b.State() == bridge.StateStandby })
	// While the first streams, the second must stay off the upstream.
	_ = h.sim.WaitEmitted(t.Context(), 1000)
	if n := len(h.sim.Connections()); n != 1 || second.b.State() != bridge.StateStandby {
		t.Fatalf("%d upstream connections, second bridge %s: two instances streamed at once", n, second.b.State())
	}
	if err := first.stop(t); err != nil {
		t.Fatalf("first bridge: %v", err)
	}
	waitFor(t, "the second bridge to take over", func() bool { return second.b.State() == bridge.StateStreaming })
	requireExactlyOnce(t, h.waitDelivered())
}

// TestOtherWritersOnTheTopicAreIgnored runs two bridges with different
// names into one topic: each must deliver every event once under its own
// name, ignoring the other's records when it rescans the tail.
func TestOtherWritersOnTheTopicAreIgnored(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 800, BatchSize: 20, MaxEvents: 2000, HeartbeatInterval: 200 * time.Millisecond}, nil)
	a := h.start()
	otherName := h.env.BridgeName + "-other"
	other := *h
	other.env.BridgeName = otherName
	other.env.CheckpointTopic = h.env.CheckpointTopic // one compacted topic, two keys
	b := other.start()
	_ = h.sim.WaitEmitted(t.Context(), 700)
	// Both rescan the shared topic after a restart.
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	h.start()
	other.start()
	requireExactlyOnce(t, h.waitDelivered())
	requireExactlyOnce(t, other.waitDelivered())
}

// TestConfigurationErrorsNameTheVariable is the operator's first contact:
// an unreachable setting must be rejected before anything connects.
func TestConfigurationErrorsNameTheVariable(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 10, MaxEvents: 10}, func(e *config.Env) {
		e.KafkaCreateTopics = "false"
	})
	err := h.start().ended(t, "bridge ran without its topics")
	if err == nil || !errorsIs(err, sink.ErrTopicMissing) {
		t.Fatalf("Run = %v, want ErrTopicMissing", err)
	}
	if want := "KAFKA_CREATE_TOPICS"; !contains(err.Error(), want) {
		t.Errorf("error %q does not mention %s", err, want)
	}
	if n := len(h.sim.Connections()); n != 0 {
		t.Errorf("bridge connected upstream %d times without a topic to write to", n)
	}
}

// TestCorruptCheckpointStopsWithAClearError: an unreadable checkpoint must
// never turn into a silent restart from "now".
func TestCorruptCheckpointStopsWithAClearError(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 10, MaxEvents: 10}, nil)
	client := h.kafka.Client()
	store := checkpoint.NewStore(client, h.env.CheckpointTopic, h.env.BridgeName)
	if err := store.EnsureTopic(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	res, err := client.Produce(t.Context(), &kafka.ProduceRequest{Topic: h.env.CheckpointTopic, Partition: 0, RequiredAcks: kafka.RequireAll,
		Records: kafka.NewRecordReader(kafka.Record{Key: kafka.NewBytes([]byte(h.env.BridgeName)), Value: kafka.NewBytes([]byte(`{"v":1,"since":`))})})
	if err != nil || res.Error != nil {
		t.Fatalf("writing a corrupt checkpoint: %v %v", err, res)
	}
	if err := h.start().ended(t, "bridge ran on a corrupt checkpoint"); !errorsIs(err, checkpoint.ErrCorrupt) || !contains(err.Error(), "BRIDGE_NAME") {
		t.Fatalf("Run = %v, want ErrCorrupt with advice", err)
	}
	if n := len(h.sim.Connections()); n != 0 {
		t.Errorf("bridge connected upstream %d times without a position", n)
	}
}

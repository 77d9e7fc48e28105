package integration_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// embeddedCluster starts an embedded broker with opts for one test. Broker
// faults need the broker in-process, so these tests use the embedded one
// even when KAFKA_BROKERS names a real cluster.
func embeddedCluster(t *testing.T, opts ...kfake.Opt) *kafkatest.Cluster {
	t.Helper()
	fake, err := kafkatest.StartEmbedded(opts...)
	if err != nil {
		t.Fatalf("starting the embedded broker: %v", err)
	}
	t.Cleanup(fake.Close)
	c := kafkatest.Start(t) // for its unique prefix
	c.Brokers, c.Real, c.Fake = fake.ListenAddrs(), false, fake
	return c
}

// bothModes runs test with transactions on (the default) and off, where
// only the idempotent producer stands between a resent batch and a
// duplicate.
func bothModes(t *testing.T, test func(t *testing.T, transactions string)) {
	for _, transactions := range []string{"true", "false"} {
		t.Run("transactions="+transactions, func(t *testing.T) { test(t, transactions) })
	}
}

// TestAmbiguousWritesAreNotDuplicated cuts the broker connection right
// after a produce request reached the broker, so the batch is appended but
// the bridge never hears so. A bridge that retried blindly, or trusted its
// memory instead of the topic, would write those events twice.
func TestAmbiguousWritesAreNotDuplicated(t *testing.T) {
	bothModes(t, func(t *testing.T, transactions string) {
		cutter := &kafkatest.BrokerFaults{Cut: func(n int) bool { return n%15 == 0 && n <= 15*8 }}
		k := embeddedCluster(t, kfake.ListenFn(cutter.Listen))
		h := newHarnessOn(t, k, sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 5000, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
			e.KafkaTransactions = transactions
		})
		h.start()
		rep := h.waitDelivered()
		if cutter.Cuts() < 3 {
			t.Fatalf("only %d ambiguous writes were injected", cutter.Cuts())
		}
		t.Logf("ambiguous writes injected: %d", cutter.Cuts())
		requireExactlyOnce(t, rep)
	})
}

// TestTimedOutWritesThatHappenedAreNotDuplicated answers produce requests
// with REQUEST_TIMED_OUT after appending them (what a broker does when
// replication is slow): the error says nothing about whether the write
// happened.
func TestTimedOutWritesThatHappenedAreNotDuplicated(t *testing.T) {
	bothModes(t, func(t *testing.T, transactions string) {
		k := embeddedCluster(t)
		h := newHarnessOn(t, k, sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 3000, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
			e.KafkaTransactions = transactions
		})
		fault := kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: h.env.KafkaTopic, Err: kerr.RequestTimedOut, Count: 1}
		h.start()
		for i := 1; i <= 4; i++ {
			if err := h.sim.WaitEmitted(t.Context(), i*600); err != nil {
				t.Fatal(err)
			}
			hit := k.Fake.Fault(fault)
			if err := hit.Wait(t.Context(), 1); err != nil {
				t.Fatalf("timed-out write %d was never injected: %v", i, err)
			}
		}
		requireExactlyOnce(t, h.waitDelivered())
	})
}

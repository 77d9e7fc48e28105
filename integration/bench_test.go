package integration_test

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// BenchmarkThroughput measures end-to-end events/s with transactions on
// (the default) and off: the simulator emits as fast as it can (batches of
// 100), the bridge writes to the broker (embedded, or KAFKA_BROKERS), and
// the clock stops when a read_committed reader sees every event. Simulator,
// embedded broker and bridge share this process and its two cores, so this
// is a floor, not the bridge's ceiling. The bridge's own memory is measured
// by the outage test, on the real binary.
func BenchmarkThroughput(b *testing.B) {
	for _, transactions := range []string{"true", "false"} {
		b.Run("transactions="+transactions, func(b *testing.B) {
			events := max(b.N, 20000)
			h := newHarness(b, sim.Config{Rate: 200000, BatchSize: 100, MaxEvents: events, HeartbeatInterval: time.Second}, func(e *config.Env) {
				e.KafkaTransactions = transactions
			})
			start := time.Now()
			h.start()
			h.waitDelivered()
			elapsed := time.Since(start)
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
		})
	}
}

package integration_test

import (
	"flag"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

var restartRecords = flag.Int("restart-records", 1_000_000, "records in the topic before BenchmarkRestartWithMillionRecords restarts the bridge")

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

// BenchmarkRestartWithMillionRecords measures a restart (SIGTERM, then a
// new process) of the bridge binary whose output topic already holds
// 1,000,000 of its records (-restart-records): the time from the new
// process's start to its upstream connection, i.e. streaming again. The
// tail scan reads only from the checkpoint's scan offsets, so the topic's
// size should not matter. Run with
// go test -run '^$' -bench RestartWithMillionRecords -benchtime 5x ./integration
// (KAFKA_BROKERS for a real broker).
func BenchmarkRestartWithMillionRecords(b *testing.B) {
	records := *restartRecords
	bin := proctest.Build(b)
	h := newHarness(b, sim.Config{Rate: 200000, BatchSize: 100, MaxEvents: records, HeartbeatInterval: time.Second}, func(e *config.Env) {
		e.KafkaTopicPartitions = "6"
	})
	logFile := proctest.NewLog(b, "bridge.log")
	counter, err := h.kafka.CountCommitted(h.env.KafkaTopic)
	if err != nil {
		b.Fatal(err)
	}
	defer counter.Close()
	filled := time.Now()
	running := proctest.Start(b, bin, h.env, logFile)
	waitForErr(b, "the backlog in the topic", func() (bool, error) {
		n, err := counter.Records()
		return n >= int64(records), err
	})
	b.Logf("%d records written in %s", records, time.Since(filled).Round(time.Millisecond))

	b.ResetTimer()
	var total time.Duration
	for range b.N {
		running.Stop(b)
		before := len(h.sim.Connections())
		started := time.Now()
		running = proctest.Start(b, bin, h.env, logFile)
		waitFor(b, "an upstream connection", func() bool { return len(h.sim.Connections()) > before })
		total += h.sim.Connections()[before].At.Sub(started)
	}
	b.StopTimer()
	running.Stop(b)
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/restart")
	b.ReportMetric(0, "ns/op")
}

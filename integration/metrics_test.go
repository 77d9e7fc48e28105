package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// TestMetricsAndHealthInBothModes: the checkpoint, freshness, write and
// transaction metrics and /healthz's document follow the stream, whether
// a commit or a separate write carries the checkpoints.
func TestMetricsAndHealthInBothModes(t *testing.T) {
	for _, transactions := range []string{"true", "false"} {
		t.Run("transactions="+transactions, func(t *testing.T) {
			start := time.Now()
			h := newHarness(t, sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 500, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
				e.KafkaTransactions = transactions
			})
			reg := prometheus.NewRegistry()
			b := bridge.New(bridge.Options{Config: h.config(), Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Registry: reg})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- b.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			h.waitDelivered()
			// gauge returns a metric's value: a gauge's or counter's value,
			// a histogram's sample count, summed over label values.
			gauge := func(name string) float64 {
				families, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				sum := 0.0
				for _, f := range families {
					if f.GetName() != name {
						continue
					}
					for _, m := range f.GetMetric() {
						switch {
						case m.GetGauge() != nil:
							sum += m.GetGauge().GetValue()
						case m.GetCounter() != nil:
							sum += m.GetCounter().GetValue()
						case m.GetHistogram() != nil:
							sum += float64(m.GetHistogram().GetSampleCount())
						}
					}
				}
				return sum
			}
			// The checkpoint follows the delivered events within an interval.
			waitFor(t, "a checkpoint whose since is after the start", func() bool {
				return gauge("analytics_bridge_checkpoint_since_seconds") >= float64(start.Add(-time.Second).Unix())
			})
			if n := gauge("analytics_bridge_checkpoints_written_total"); n < 1 {
				t.Errorf("checkpoints_written_total = %v", n)
			}
			// "Is it keeping up?": every freshness and write metric moved.
			for _, name := range []string{
				"analytics_bridge_produce_latency_seconds", "analytics_bridge_batch_records", "analytics_bridge_batch_bytes",
				"analytics_bridge_checkpoint_write_seconds", "analytics_bridge_upstream_connected",
			} {
				if v := gauge(name); v <= 0 {
					t.Errorf("%s = %v after streaming", name, v)
				}
			}
			if last := gauge("analytics_bridge_last_event_timestamp_seconds"); last < float64(start.Unix()) {
				t.Errorf("last_event_timestamp_seconds = %v, before the run started", last)
			}
			if lag := gauge("analytics_bridge_event_time_lag_seconds"); lag <= 0 || lag > 60 {
				t.Errorf("event_time_lag_seconds = %v", lag)
			}
			if committed := gauge("analytics_bridge_transactions_total"); (transactions == "true") != (committed > 0) {
				t.Errorf("transactions_total = %v with KAFKA_TRANSACTIONS=%s", committed, transactions)
			}
			if h := b.Health(); h.State != bridge.StateStreaming || h.Role != "active" || h.HighWater.IsZero() || h.LastEventAt.IsZero() || !b.Ready() {
				t.Errorf("health %+v, ready %v", h, b.Ready())
			}
		})
	}
}

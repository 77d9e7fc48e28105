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

// TestCheckpointMetricsInBothModes: checkpoints_written_total and
// checkpoint_since_seconds follow the checkpoints, whether a commit or a
// separate write carries them.
func TestCheckpointMetricsInBothModes(t *testing.T) {
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
			gauge := func(name string) float64 {
				families, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range families {
					if f.GetName() == name && len(f.GetMetric()) == 1 {
						m := f.GetMetric()[0]
						if m.GetGauge() != nil {
							return m.GetGauge().GetValue()
						}
						return m.GetCounter().GetValue()
					}
				}
				return 0
			}
			// The checkpoint follows the delivered events within an interval.
			waitFor(t, "a checkpoint whose since is after the start", func() bool {
				return gauge("analytics_bridge_checkpoint_since_seconds") >= float64(start.Add(-time.Second).Unix())
			})
			if n := gauge("analytics_bridge_checkpoints_written_total"); n < 1 {
				t.Errorf("checkpoints_written_total = %v", n)
			}
		})
	}
}

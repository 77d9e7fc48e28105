// Package bridgetest gives tests of the real bridge what they need besides
// a cluster (integration/kafkatest): the upstream simulator, an
// environment with test-sized timings for that simulator and cluster, and
// a bridge built the way serve builds it. The integration tests and the
// consumer examples' pipeline share it, so that both run the bridge alike.
//
// It is a test kit: production packages do not import it.
package bridgetest

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/source/sources"
)

// StartSim starts a simulator with sc, closed when t ends, and returns it
// with the time just before it started: a bridge that starts there (Env)
// covers the simulator's whole log however slowly the bridge starts, so
// that the ledger and the topic hold the same events.
func StartSim(t testing.TB, sc sim.Config) (*sim.Server, time.Time) {
	t.Helper()
	since := time.Now().UTC()
	s, err := sim.New(sc)
	if err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, since
}

// Env is the production environment reading s from since into c, with
// names unique to c's test and test-sized timings.
func Env(c *kafkatest.Cluster, s *sim.Server, since time.Time) config.Env {
	e := c.Env()
	e.AnalyticsURL = s.EventsURL()
	e.AnalyticsToken = s.IssueToken(time.Hour)
	e.StartSince = since.Format(time.RFC3339Nano)
	e.PartitionKey = "eventBody.conversationId"
	e.EventLateness = "0s"
	return e
}

// Logger writes the bridge's warnings and errors to t's log.
func Logger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).With().Timestamp().Logger()
}

// New builds cfg's source and the bridge on it, as serve does, with their
// metrics registered in reg (none when nil).
func New(t testing.TB, cfg config.Config, log zerolog.Logger, reg prometheus.Registerer) *bridge.Bridge {
	t.Helper()
	src, err := sources.New(cfg, log, reg)
	if err != nil {
		t.Fatalf("sources.New: %v", err)
	}
	b, err := bridge.New(bridge.Options{Config: cfg, Source: src, Logger: log, Registry: reg})
	if err != nil {
		t.Fatalf("bridge.New: %v", err)
	}
	return b
}

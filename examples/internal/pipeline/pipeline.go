// Package pipeline runs the upstream simulator and the real bridge for the
// consumer examples' tests: a consumer example is only proven by reading
// what the bridge actually wrote.
//
// It owns the simulator and the bridge's Run goroutine of each Start, and
// stops both when the test ends; the cluster is the caller's
// (integration/kafkatest: the embedded broker, or KAFKA_BROKERS).
package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/bridgetest"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// WaitLimit bounds every wait; generous, because CI machines are loaded.
const WaitLimit = 90 * time.Second

// Pipeline is a simulator streaming through a running bridge into Kafka.
type Pipeline struct {
	Sim     *sim.Server
	Cluster *kafkatest.Cluster
	Env     config.Env // the bridge's environment, as validated
}

// Start starts a simulator with sc and a bridge reading it into c; tweak
// adjusts the bridge's environment (KAFKA_TRANSACTIONS, for one). Both stop
// when t ends, and a Run error fails t.
func Start(t testing.TB, c *kafkatest.Cluster, sc sim.Config, tweak func(*config.Env)) *Pipeline {
	t.Helper()
	s, since := bridgetest.StartSim(t, sc)
	p := &Pipeline{Sim: s, Cluster: c, Env: bridgetest.Env(c, s, since)}
	p.Env.KafkaClientID = "analytics-bridge-example-test"
	if tweak != nil {
		tweak(&p.Env)
	}
	cfg, err := p.Env.Validate()
	if err != nil {
		t.Fatalf("bridge configuration: %v", err)
	}
	b := bridgetest.New(t, cfg, bridgetest.Logger(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("bridge Run: %v", err)
			}
		case <-time.After(WaitLimit):
			t.Errorf("the bridge did not stop within %s", WaitLimit)
		}
	})
	return p
}

// LedgerURL is where the simulator serves its ledger (JSON lines).
func (p *Pipeline) LedgerURL() string { return p.Sim.AdminURL() + "/ledger" }

// WaitDelivered waits until the simulator has emitted all of its
// MaxEvents and the topic holds every one of them exactly once, as the
// tests' own read_committed reader (kafkatest) sees it: what the examples
// then read is complete.
func (p *Pipeline) WaitDelivered(t testing.TB) verify.Report {
	t.Helper()
	select {
	case <-p.Sim.Done():
	case <-time.After(WaitLimit):
		t.Fatalf("the simulator emitted only %d events", p.Sim.Emitted())
	}
	deadline := time.Now().Add(WaitLimit)
	for {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		recs, err := p.Cluster.ReadAll(ctx, p.Env.KafkaTopic)
		cancel()
		var rep verify.Report
		if err == nil {
			rep, err = verify.ExactlyOnce(p.Sim.Ledger(), recs, p.Env.BridgeName)
		}
		if err == nil && rep.OK() {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("the topic never held the ledger exactly once: %s %v (last error: %v)", rep, rep.Examples, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/bridgetest"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// notificationsRig is the notifications source's bridge under test: the
// Genesys stand-in on the wall clock (the back-fill waits out the API's
// one-minute rule for real), a cluster and the bridge's environment.
type notificationsRig struct {
	t   *testing.T
	c   *kafkatest.Cluster
	g   *genesys.Server
	env config.Env
}

// standinTimings are the stand-in's lifecycle compressed for tests: a
// heartbeat every 2 s, a planned close 3 s after its announcement, and
// tokens that expire every 20 s.
func standinTimings(o genesys.Options) genesys.Options {
	o.HeartbeatEvery = 2 * time.Second
	o.ClosingGrace = 3 * time.Second
	if o.TokenLifetime == 0 {
		o.TokenLifetime = 20 * time.Second
	}
	if o.Queues == 0 {
		o.Queues = 3
	}
	return o
}

func newNotificationsRig(t *testing.T, c *kafkatest.Cluster, o genesys.Options, tweak func(*config.Env)) *notificationsRig {
	t.Helper()
	g, err := genesys.New(standinTimings(o))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the stand-in: %v", err)
		}
	})
	env := genesystest.Env(c, g)
	if tweak != nil {
		tweak(&env)
	}
	return &notificationsRig{t: t, c: c, g: g, env: env}
}

// start runs a bridge in the test process until stop (or the test's end).
func (r *notificationsRig) start() *sqsRun {
	r.t.Helper()
	cfg, err := r.env.Validate()
	if err != nil {
		r.t.Fatalf("test configuration: %v", err)
	}
	reg := prometheus.NewRegistry()
	b := bridgetest.New(r.t, cfg, bridgetest.Logger(r.t), reg)
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{b: b, cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- b.Run(ctx) }()
	r.t.Cleanup(run.stopQuietly)
	return &sqsRun{running: run, reg: reg}
}

// waitCovered waits until at least `ended` conversations have ended and a
// read_committed reader finds every conversation that ended covered (its detail events or a conversation-detail record)
// and no dedup key twice; a duplicate fails at once. The back-fill of a gap
// waits for the API's one-minute rule, so the wait allows three.
func (r *notificationsRig) waitCovered(ended int, runs ...*sqsRun) genesystest.Report {
	r.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	var report genesystest.Report
	for {
		for _, run := range runs {
			run.alive(r.t)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		rep, err := genesystest.Verdict(ctx, r.c, r.env.KafkaTopic, r.g)
		cancel()
		if err == nil {
			report = rep
			if len(rep.DuplicateKeys) > 0 {
				r.t.Fatalf("a dedup key read twice: %s; first %q", rep, rep.DuplicateKeys[0])
			}
			if rep.Complete() && rep.Coverage.Ended >= ended {
				return rep
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("not covered after 3 minutes: %s (read error %v); missing %v", report, err, report.Coverage.Missing)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

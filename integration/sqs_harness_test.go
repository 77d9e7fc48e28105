package integration_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/bridgetest"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// sqsRig is the sqs source's bridge under test: a cluster, a queue and the
// bridge's environment. Each start runs a new bridge (a restart) with its
// own metrics.
type sqsRig struct {
	t   *testing.T
	c   *kafkatest.Cluster
	env config.Env
	q   queueView
}

// queueView is what the waits read of a queue: whether it holds nothing
// any more, and its state in a failure message.
type queueView struct {
	drained func() bool
	state   func() string
}

// standIn is the view of a queue on the stand-in.
func standIn(q *sqstest.Queue) queueView {
	return queueView{drained: q.Drained, state: func() string { return fmt.Sprintf("stand-in %+v", q.Server.Stats()) }}
}

// newSQSRig points a bridge at q on the stand-in, with transactions
// ("true" or "false"); tweak adjusts its environment.
func newSQSRig(t *testing.T, c *kafkatest.Cluster, q *sqstest.Queue, transactions string, tweak func(*config.Env)) *sqsRig {
	t.Helper()
	return newSQSRigAt(t, c, q.Endpoint, q.URL, standIn(q), transactions, tweak)
}

// newSQSRigAt is newSQSRig for the queue at url, served at endpoint.
func newSQSRigAt(t *testing.T, c *kafkatest.Cluster, endpoint, url string, q queueView, transactions string, tweak func(*config.Env)) *sqsRig {
	t.Helper()
	sqstest.Setenv(t)
	env := sqstest.Env(c, &sqstest.Queue{Endpoint: endpoint, URL: url})
	env.KafkaTransactions = transactions
	if tweak != nil {
		tweak(&env)
	}
	return &sqsRig{t: t, c: c, env: env, q: q}
}

// sqsRun is one bridge process of a rig.
type sqsRun struct {
	*running
	reg *prometheus.Registry
}

// start runs a bridge until stop (or the test's end).
func (r *sqsRig) start() *sqsRun {
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

// metric sums the values of a counter or gauge over the label values that
// match labels (name=value pairs).
func (s *sqsRun) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	return bridgetest.Metric(t, s.reg, name, labels...)
}

// sqsCounts sums up the source's message counters, for logs.
func (s *sqsRun) sqsCounts(t testing.TB) string {
	t.Helper()
	out := ""
	for _, c := range []string{"received", "redelivered", "deleted", "released"} {
		out += fmt.Sprintf("%s %v, ", c, s.metric(t, "analytics_bridge_sqs_messages_"+c+"_total"))
	}
	return out + fmt.Sprintf("dropped %v", s.metric(t, "analytics_bridge_duplicates_dropped_total"))
}

// alive fails the test when the bridge has stopped by itself.
func (s *sqsRun) alive(t testing.TB) {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		t.Fatalf("the bridge stopped by itself: %v", err)
	default:
	}
}

// waitRecords waits until the topic holds each ledger pair once, whatever
// the queue still holds.
func (r *sqsRig) waitRecords(ledger *eventbridge.Ledger, runs ...*sqsRun) eventbridge.Report {
	r.t.Helper()
	anyQueue := queueView{drained: func() bool { return true }, state: r.q.state}
	return waitVerdict(r.t, r.c, r.env.KafkaTopic, ledger, anyQueue, false, runs...)
}

// waitNoLoss waits until the queue is drained and the topic holds every
// ledger pair, duplicates allowed.
func (r *sqsRig) waitNoLoss(ledger *eventbridge.Ledger, runs ...*sqsRun) eventbridge.Report {
	r.t.Helper()
	return waitVerdict(r.t, r.c, r.env.KafkaTopic, ledger, r.q, true, runs...)
}

// waitExactlyOnce waits until the queue is drained and the topic holds each
// ledger pair once.
func (r *sqsRig) waitExactlyOnce(ledger *eventbridge.Ledger, runs ...*sqsRun) eventbridge.Report {
	r.t.Helper()
	return waitVerdict(r.t, r.c, r.env.KafkaTopic, ledger, r.q, false, runs...)
}

// waitExactlyOnce is sqsRig.waitExactlyOnce for bridges run as processes
// on the stand-in queue q.
func waitExactlyOnce(t *testing.T, c *kafkatest.Cluster, topic string, ledger *eventbridge.Ledger, q *sqstest.Queue) eventbridge.Report {
	t.Helper()
	return waitDelivered(t, c, topic, ledger, q, 0)
}

// waitDelivered is waitExactlyOnce allowing up to maxDuplicates values read
// twice (what a mode without broker-side fencing may write twice).
func waitDelivered(t *testing.T, c *kafkatest.Cluster, topic string, ledger *eventbridge.Ledger, q *sqstest.Queue, maxDuplicates int) eventbridge.Report {
	t.Helper()
	r := waitVerdict(t, c, topic, ledger, standIn(q), maxDuplicates > 0)
	if r.Duplicates > maxDuplicates {
		t.Fatalf("%d values read twice, at most %d allowed: %+v", r.Duplicates, maxDuplicates, r)
	}
	return r
}

// waitVerdict waits until the queue is drained and the topic holds every
// ledger pair, once unless duplicates are allowed. It fails with the last
// verdict when that does not come within a minute, and at once on a record
// that is no ledger pair, on a duplicate not allowed, or when a run stopped
// by itself. The queue is looked at before the topic: drained, every record
// is committed (a message is deleted only after), so the verdict read next
// is final.
func waitVerdict(t *testing.T, c *kafkatest.Cluster, topic string, ledger *eventbridge.Ledger, q queueView, duplicates bool, runs ...*sqsRun) eventbridge.Report {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var report eventbridge.Report
	for {
		for _, run := range runs {
			run.alive(t)
		}
		empty := q.drained()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		r, err := sqstest.Verdict(ctx, c, topic, ledger)
		cancel()
		if err == nil {
			report = r
			if r.Unexpected > 0 || r.Malformed > 0 || r.Duplicates > 0 && !duplicates {
				t.Fatalf("not exactly once: %+v", r)
			}
			if empty && r.Missing == 0 && (duplicates || r.ExactlyOnce()) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %+v (read error %v); queue drained %v, %s", report, err, empty, q.state())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

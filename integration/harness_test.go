package integration_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/bridgetest"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// waitLimit bounds every wait; generous because CI machines are loaded.
const waitLimit = 90 * time.Second

type harness struct {
	t     testing.TB
	kafka *kafkatest.Cluster
	sim   *sim.Server
	env   config.Env
}

// newHarness starts a simulator and a cluster; tweak adjusts the bridge's
// environment (the same validation path as production).
func newHarness(t testing.TB, sc sim.Config, tweak func(*config.Env)) *harness {
	t.Helper()
	return newHarnessOn(t, kafkatest.Start(t), sc, tweak)
}

// newHarnessOn is newHarness on a given cluster.
func newHarnessOn(t testing.TB, k *kafkatest.Cluster, sc sim.Config, tweak func(*config.Env)) *harness {
	t.Helper()
	s, since := bridgetest.StartSim(t, sc)
	env := bridgetest.Env(k, s, since)
	withIntegrationTimings(&env)
	if sc.IDLess {
		env.EventTimeField = "eventTime"
	}
	if sc.Lateness > 0 {
		env.EventLateness = sc.Lateness.String()
	}
	if tweak != nil {
		tweak(&env)
	}
	return &harness{t: t, kafka: k, sim: s, env: env}
}

// withIntegrationTimings adds what the integration tests tune beyond
// bridgetest.Env: small batches and short upstream timeouts, so that the
// fault tests see batches cut and reconnections soon.
func withIntegrationTimings(e *config.Env) {
	e.KafkaBatchSize = "500"
	e.KafkaLinger = "2ms"
	e.KafkaMaxInFlight = "5000"
	e.IdleTimeout = "3s"
	e.PingInterval = "500ms"
}

func (h *harness) config() config.Config {
	h.t.Helper()
	cfg, err := h.env.Validate()
	if err != nil {
		h.t.Fatalf("test configuration: %v", err)
	}
	return cfg
}

type running struct {
	b      *bridge.Bridge
	cancel context.CancelFunc
	done   chan error
}

// start runs a bridge until stop (or the test's end).
func (h *harness) start() *running {
	h.t.Helper()
	return h.startWith(nil)
}

// startWith is start with the bridge's metrics registered in reg.
func (h *harness) startWith(reg prometheus.Registerer) *running {
	h.t.Helper()
	cfg := h.config()
	b := bridgetest.New(h.t, cfg, bridgetest.Logger(h.t), reg)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{b: b, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- b.Run(ctx) }()
	h.t.Cleanup(func() { r.stopQuietly() })
	return r
}

// stop cancels the bridge and returns Run's result.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	return r.ended(t, "bridge did not stop")
}

// ended waits for Run to return and gives its result; the test fails with
// why when Run is still going after waitLimit.
func (r *running) ended(t testing.TB, why string) error {
	t.Helper()
	returned, err := r.wait()
	if !returned {
		t.Fatal(why)
	}
	return err
}

func (r *running) stopQuietly() {
	r.cancel()
	_, _ = r.wait()
}

// wait waits up to waitLimit for Run to return and gives its result,
// which stays in done for the next wait.
func (r *running) wait() (returned bool, err error) {
	select {
	case err := <-r.done:
		r.done <- err
		return true, err
	case <-time.After(waitLimit):
		return false, nil
	}
}

// records reads the output topic. The read may take the whole waitLimit:
// under the race detector, decoding a topic of ten thousand small
// lz4-compressed batches takes several seconds of CPU.
func (h *harness) records() []kafkatest.Record {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	recs, err := h.kafka.ReadAll(ctx, h.env.KafkaTopic)
	if err != nil {
		h.t.Fatalf("reading %s: %v", h.env.KafkaTopic, err)
	}
	return recs
}

// oursNow counts our records, or -1 when the cluster cannot be read right
// now (a broker restart in progress): for polling in waitFor, which
// reports the last such read error if it times out.
func (h *harness) oursNow() int {
	n, err := h.oursCount()
	if err != nil {
		pollsOf(h.t).failed(err)
		return -1
	}
	return n
}

// oursCount reads the topic and counts our records. Within a wait the read
// may take until the wait's deadline, and otherwise waitLimit: a read
// budget shorter than a whole read would fail every poll alike, because
// each poll reads the topic from its start.
func (h *harness) oursCount() (int, error) {
	ctx, cancel := context.WithDeadline(context.Background(), pollsOf(h.t).readDeadline())
	defer cancel()
	recs, err := h.kafka.ReadAll(ctx, h.env.KafkaTopic)
	if err != nil {
		return -1, err
	}
	return h.ours(recs), nil
}

// ours counts records written by this bridge (gap markers excluded).
func (h *harness) ours(recs []kafkatest.Record) int {
	n := 0
	for _, r := range recs {
		if r.Headers[bridge.HeaderBridge] == h.env.BridgeName && r.Headers[bridge.HeaderGap] == "" {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds; what describes it on failure. A
// condition that reads Kafka through oursNow (which hides its error) gets
// that error reported too.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitForErr(t, what, func() (bool, error) { return cond(), nil })
}

// waitForErr polls cond until it holds, and fails the test after waitLimit
// with the last error cond returned (or oursNow met) and how many polls
// failed. A poll that took long is not repeated at once, so that polling
// leaves CPU to the bridge it waits for.
func waitForErr(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	ps := pollsOf(t)
	start := time.Now()
	deadline := start.Add(waitLimit)
	ps.begin(deadline)
	defer ps.end()
	for n := 1; ; n++ {
		began := time.Now()
		ok, err := cond()
		if err != nil {
			ps.failed(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("timed out after %s waiting for %s", time.Since(start).Round(time.Millisecond), what)
			if fails, last, at := ps.errors(); last != nil {
				msg += fmt.Sprintf(" (%d of %d polls failed; the last, %s before the end of the wait: %v)",
					fails, n, time.Since(at).Round(time.Millisecond), last)
			}
			t.Fatal(msg)
		}
		time.Sleep(min(max(time.Since(began), 50*time.Millisecond), time.Second))
	}
}

// polls is the polling state of one test: the deadline of the wait in
// progress and the read errors met during it.
type polls struct {
	mu       sync.Mutex
	deadline time.Time // zero outside a wait
	fails    int
	lastErr  error
	lastAt   time.Time
}

var pollsByTest sync.Map // testing.TB -> *polls

func pollsOf(t testing.TB) *polls {
	if p, ok := pollsByTest.Load(t); ok {
		return p.(*polls)
	}
	p, loaded := pollsByTest.LoadOrStore(t, &polls{})
	if !loaded {
		t.Cleanup(func() { pollsByTest.Delete(t) })
	}
	return p.(*polls)
}

func (p *polls) begin(deadline time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deadline, p.fails, p.lastErr, p.lastAt = deadline, 0, nil, time.Time{}
}

func (p *polls) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deadline = time.Time{}
}

func (p *polls) failed(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fails++
	p.lastErr, p.lastAt = err, time.Now()
}

func (p *polls) errors() (fails int, last error, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fails, p.lastErr, p.lastAt
}

// readDeadline bounds a read: the end of the wait in progress, or
// waitLimit from now outside a wait.
func (p *polls) readDeadline() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deadline.IsZero() {
		return time.Now().Add(waitLimit)
	}
	return p.deadline
}

// waitDone waits until the simulator emitted all of MaxEvents.
func (h *harness) waitDone() {
	h.t.Helper()
	select {
	case <-h.sim.Done():
	case <-time.After(waitLimit):
		h.t.Fatalf("simulator emitted only %d events", h.sim.Emitted())
	}
}

// waitDelivered waits until the topic holds at least the ledger's number
// of our records, then returns the verification report.
func (h *harness) waitDelivered() verify.Report {
	h.t.Helper()
	h.waitDone()
	want := len(h.sim.Ledger())
	h.waitOurs(want)
	return h.verify(h.records())
}

// waitOurs waits until the topic holds at least n records of ours, and
// fails with the last read error if it never does.
func (h *harness) waitOurs(n int) {
	h.t.Helper()
	waitForErr(h.t, strconv.Itoa(n)+" records in "+h.env.KafkaTopic, func() (bool, error) {
		got, err := h.oursCount()
		return got >= n, err
	})
}

// pauseAndVerify stops generation, waits until the topic holds the ledger,
// and reports.
func (h *harness) pauseAndVerify() verify.Report {
	h.t.Helper()
	h.sim.Pause()
	want := len(h.sim.Ledger())
	h.waitOurs(want)
	return h.verify(h.records())
}

func (h *harness) verify(recs []kafkatest.Record) verify.Report {
	h.t.Helper()
	rep, err := verify.ExactlyOnce(h.sim.Ledger(), recs, h.env.BridgeName)
	if err != nil {
		h.t.Fatal(err)
	}
	return rep
}

// requireExactlyOnce fails the test unless rep is exactly once.
func requireExactlyOnce(t testing.TB, rep verify.Report) {
	t.Helper()
	if !rep.OK() {
		t.Fatalf("not exactly once: %s\nexamples: %v", rep, rep.Examples)
	}
	t.Logf("exactly once: %s", rep)
}

// waitConnections waits until the simulator accepted n connections in all.
func (h *harness) waitConnections(n int) {
	h.t.Helper()
	waitFor(h.t, strconv.Itoa(n)+" upstream connections", func() bool { return len(h.sim.Connections()) >= n })
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

package gcnotifications_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/bridgetest"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/feed"
	"github.com/analytics-bridge/analytics-bridge/source/sources"
)

// rig is one bridge on the notifications source under test: the Genesys
// stand-in on the wall clock (the back-fill waits out the API's
// one-minute rule for real), a relay in front of its streaming host, the
// bridge's network, and a cluster.
type rig struct {
	t     *testing.T
	c     *kafkatest.Cluster
	g     *genesys.Server
	relay *genesystest.Relay
	net   *network
	env   config.Env
	feed  func(*feed.Options)
	logs  *logLines
}

// setup is what a test changes: the stand-in's options (its lifecycle
// timings default to standinTimings'), the bridge's environment and the
// source's options beyond it.
type setup struct {
	standin genesys.Options
	env     func(*config.Env)
	feed    func(*feed.Options)
}

// standinTimings are the stand-in's lifecycle compressed for tests: a
// heartbeat every 2 s, a planned close 3 s after its announcement, and
// tokens that expire every 20 s.
func standinTimings(o genesys.Options) genesys.Options {
	if o.HeartbeatEvery == 0 {
		o.HeartbeatEvery = 2 * time.Second
	}
	if o.ClosingGrace == 0 {
		o.ClosingGrace = 3 * time.Second
	}
	if o.TokenLifetime == 0 {
		o.TokenLifetime = 20 * time.Second
	}
	if o.Queues == 0 {
		o.Queues = 3
	}
	return o
}

// Socket watchdog timings for the stand-in's 2 s heartbeat: a socket that
// says nothing for 4 s is pinged, and given up 3 s later.
const (
	quietAfter  = 4 * time.Second
	pongTimeout = 3 * time.Second
)

func newRig(t *testing.T, s setup) *rig {
	t.Helper()
	g, err := genesys.New(standinTimings(s.standin))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the stand-in: %v", err)
		}
	})
	relay := genesystest.StartRelay(t, g)
	c := kafkatest.Start(t)
	env := genesystest.Env(c, g)
	// The production lease (kafkatest's 1.5 s is for takeover tests): on
	// a loaded machine a missed heartbeat must not end the epoch, which
	// would move the bridge to new channels under the tests' assertions.
	env.LeaseSessionTimeout = "10s"
	if s.env != nil {
		s.env(&env)
	}
	return &rig{t: t, c: c, g: g, relay: relay, net: newNetwork(g, relay), env: env, feed: s.feed, logs: &logLines{}}
}

// run is a bridge running in the test process.
type run struct {
	cancel context.CancelFunc
	done   chan error // Run's result, put back by whoever reads it
	reg    *prometheus.Registry
}

// start builds the bridge as serve does (sources.NotificationsOptions from
// the environment), but for its HTTP client, which is the rig's network,
// and the socket watchdog's timings, sized to the stand-in's heartbeat;
// then runs it until the test ends.
func (r *rig) start() *run {
	r.t.Helper()
	cfg, err := r.env.Validate()
	if err != nil {
		r.t.Fatalf("test configuration: %v", err)
	}
	log := zerolog.New(io.MultiWriter(zerolog.NewTestWriter(r.t), r.logs)).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	reg := prometheus.NewRegistry()
	o := sources.NotificationsOptions(cfg)
	o.Logger, o.Registry = log, reg
	o.API.HTTPClient = r.net.client(r.t)
	o.Channels.Socket.QuietAfter, o.Channels.Socket.PongTimeout = quietAfter, pongTimeout
	if r.feed != nil {
		r.feed(&o)
	}
	src, err := feed.New(o)
	if err != nil {
		r.t.Fatalf("feed.New: %v", err)
	}
	b, err := bridge.New(bridge.Options{Config: cfg, Source: src, Logger: log, Registry: reg})
	if err != nil {
		r.t.Fatalf("bridge.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ru := &run{cancel: cancel, done: make(chan error, 1), reg: reg}
	go func() { ru.done <- b.Run(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		select {
		case <-ru.done:
		case <-time.After(time.Minute):
			r.t.Errorf("the bridge did not stop within a minute of its context's end")
		}
	})
	return ru
}

// stop ends the bridge and waits for Run, which must return nil.
func (ru *run) stop(t testing.TB) {
	t.Helper()
	ru.cancel()
	select {
	case err := <-ru.done:
		ru.done <- err
		if err != nil {
			t.Fatalf("the bridge stopped with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the bridge did not stop within a minute of its context's end")
	}
}

// alive fails the test when the bridge has stopped by itself.
func (ru *run) alive(t testing.TB) {
	t.Helper()
	select {
	case err := <-ru.done:
		ru.done <- err
		t.Fatalf("the bridge stopped by itself: %v", err)
	default:
	}
}

// metric sums a counter's or gauge's values over the series whose labels
// match labels (name=value pairs).
func (ru *run) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	return bridgetest.Metric(t, ru.reg, name, labels...)
}

// waitFor polls cond every 100 ms until it holds, failing the test after
// timeout; the bridge ru (unless nil) must stay up meanwhile.
func (r *rig) waitFor(ru *run, timeout time.Duration, what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if ru != nil {
			ru.alive(r.t)
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logLines keeps the bridge's log lines (warnings and errors), for tests
// that look for what it said.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

// Write takes one line: zerolog writes each event in one call.
func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

// count is how many lines hold every one of parts.
func (l *logLines) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

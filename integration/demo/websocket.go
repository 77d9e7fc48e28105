package demo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
	"github.com/segmentio/kafka-go"
)

// Simulator lateness and the bridge's allowance for it.
const (
	simLateness    = 250 * time.Millisecond
	bridgeLateness = "500ms"
)

// runWebSocket plays the WebSocket script: the upstream simulator, its
// faults, a restart from the checkpoint.
func runWebSocket(ctx context.Context, st *stage) (verify.Report, error) {
	// Events emitted before the bridge is up are in the ledger; starting at
	// the simulator's start (instead of "now") makes the bridge replay them.
	since := st.start.UTC().Truncate(time.Millisecond)
	up, err := sim.New(sim.Config{
		Rate:              st.opts.Rate,
		Lateness:          simLateness,
		HeartbeatInterval: time.Second,
		TokenLifetime:     st.opts.TokenLifetime,
		Logger:            st.logger.With().Str("component", "simulator").Logger(),
	})
	if err != nil {
		return verify.Report{}, fmt.Errorf("starting the upstream simulator: %w", err)
	}
	st.onClose(func() error {
		if cerr := up.Close(); cerr != nil {
			return fmt.Errorf("stopping the simulator: %w", cerr)
		}
		return nil
	})

	cfg, err := bridgeEnv(st.name, st.cluster, up, since, st.opts.LogLevel).Validate()
	if err != nil {
		return verify.Report{}, fmt.Errorf("demo configuration: %w", err)
	}
	if err := st.watch(cfg); err != nil {
		return verify.Report{}, err
	}
	// The demo's own client: a short metadata TTL, so that the output topic
	// is seen soon after the bridge creates it.
	transport := &kafka.Transport{ClientID: "analytics-bridge-demo-monitor", MetadataTTL: time.Second}
	defer transport.CloseIdleConnections()
	r := &run{
		stage: st,
		up:    up,
		kafka: &kafka.Client{Addr: kafka.TCP(st.cluster.Brokers...), Timeout: 20 * time.Second, Transport: transport},
		// The script describes the first connection itself.
		expecting: true,
	}
	return st.play(ctx, r)
}

// bridgeEnv is the production environment contract with demo addresses and
// demo-sized timings (the test harness's idea), validated like any other.
func bridgeEnv(name string, cluster *kafkatest.Cluster, up *sim.Server, since time.Time, logLevel string) config.Env {
	replication := "1" // the embedded broker is one broker
	if cluster.Real {
		replication = "-1" // the cluster's default
	}
	e := config.Defaults()
	e.AnalyticsURL = up.EventsURL()
	e.OAuthTokenURL = up.TokenURL()
	e.OAuthClientID = sim.DefaultClientID
	e.OAuthClientSecret = sim.DefaultClientSecret
	e.KafkaBrokers = strings.Join(cluster.Brokers, ",")
	e.KafkaTopic = name + ".events"
	e.CheckpointTopic = name + ".checkpoints"
	e.BridgeName = name
	e.KafkaReplication = replication
	e.KafkaClientID = "analytics-bridge-demo"
	e.StartSince = since.Format(time.RFC3339Nano)
	e.PartitionKey = "eventBody.conversationId"
	e.EventLateness = bridgeLateness
	e.ReconnectMinBackoff = "50ms"
	e.ReconnectMaxBackoff = "2s"
	e.IdleTimeout = "5s"
	e.PingInterval = "1s"
	e.CheckpointInterval = "250ms"
	e.ShutdownTimeout = "10s"
	e.LogLevel = logLevel
	e.LogFormat = "console"
	return e
}

// run is one run of the WebSocket script.
type run struct {
	*stage
	up    *sim.Server
	kafka *kafka.Client

	connMu    sync.Mutex // guards narrated and expecting
	narrated  int        // upstream connections described so far
	expecting bool       // the script will describe the next connection
}

func (r *run) header() {
	d := r.opts.Duration
	at := func(f float64) string { return fmtDur(time.Duration(f * float64(d))) }
	r.out.plain("analytics-bridge demo: the real bridge between an upstream simulator and Kafka")
	r.out.plain("  upstream  %s (simulator, %g events/s, OAuth tokens live %s)", r.up.EventsURL(), r.opts.Rate, fmtDur(r.opts.TokenLifetime))
	r.headerKafka()
	r.out.plain("  script    %s: drop at %s, token expiry at %s, restart at %s, verdict from %s",
		fmtDur(d), at(dropAt), at(expireAt), at(restartAt), at(stopAt))
	r.headerLogs()
}

func (r *run) emitted() int64 { return int64(r.up.Emitted()) }

func (r *run) statusTail() string { return " · " + r.current().b.State() }

// tick describes reconnects the script did not cause.
func (r *run) tick() {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	r.describeUnexpectedLocked()
}

// streaming waits until the bridge is connected and streaming, so that a
// fault hits a live session.
func (r *run) streaming(ctx context.Context) error {
	return r.waitFor(ctx, "the bridge to stream", waitLimit, func() bool {
		return r.up.Active() > 0 && r.current().b.State() == bridge.StateStreaming
	})
}

// expect tells the monitor that the script describes the next upstream
// connection itself; connections before it are described now.
func (r *run) expect() {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	r.describeUnexpectedLocked()
	r.expecting = true
}

// awaitConn waits for the expected connection and returns it with the one
// before it (zero for the first).
func (r *run) awaitConn(ctx context.Context, what string) (cur, prev sim.ConnInfo, err error) {
	r.connMu.Lock()
	want := r.narrated
	r.connMu.Unlock()
	var conns []sim.ConnInfo
	err = r.waitFor(ctx, what, waitLimit, func() bool {
		conns = r.up.Connections()
		return len(conns) > want
	})
	r.connMu.Lock()
	defer r.connMu.Unlock()
	r.expecting = false
	if err != nil {
		return cur, prev, err
	}
	r.narrated = want + 1
	if want > 0 {
		prev = conns[want-1]
	}
	return conns[want], prev, nil
}

// describeUnexpectedLocked narrates connections the script did not cause
// (a token reaching its lifetime, an idle link). connMu is held.
func (r *run) describeUnexpectedLocked() {
	if r.expecting {
		return
	}
	conns := r.up.Connections()
	for i := r.narrated; i < len(conns); i++ {
		var prev sim.ConnInfo
		if i > 0 {
			prev = conns[i-1]
		}
		r.out.say("reconnect without an injected fault: ?since=%s, %s", conns[i].Since, tokenUse(prev, conns[i]))
	}
	r.narrated = len(conns)
}

func tokenUse(prev, cur sim.ConnInfo) string {
	if prev.Token == "" || prev.Token != cur.Token {
		return "new token"
	}
	return "same token"
}

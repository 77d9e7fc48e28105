// Package demo owns `analytics-bridge demo`: a self-contained, narrated run
// of the real bridge between an upstream and an embedded Kafka-protocol
// broker, or a real cluster. The upstream is the WebSocket simulator
// (package sim; -source websocket, the default) or Genesys EventBridge
// events in the in-repo SQS stand-in (packages eventbridge and sqsfake;
// -source sqs).
//
// It owns the scripts and nothing they script: the bridge is built by
// bridge.New from a configuration that goes through config.Env.Validate, as
// in production (only the addresses, topic names and timings differ), the
// faults are the simulator's or the stand-in's own, and the verdicts are
// the integration tests' (verify.ExactlyOnce; for SQS, sqstest.Verdict's
// read_committed count of distinct (topicName, eventBody) pairs). The
// WebSocket script: stream, drop the connection, expire the tokens, restart
// the bridge from its checkpoint. The SQS script (sqs.go): stream, Genesys
// resends, a duplicate delivery, failing deletes, a restart with deletes
// refused. Both then stop generating, wait for Kafka to hold every event
// and verify.
//
// Every number it prints is measured: emitted events from the simulator or
// the feed, events read by the bridge from its Prometheus registry, records
// in Kafka from a read_committed count of the output topic, connections,
// since values and token changes from the simulator's connection log,
// queue states and injected faults from the stand-in.
//
// Goroutines: Run owns the monitor (progress and unexpected reconnects),
// each bridge instance's Run goroutine and, for SQS, the feed and the
// stand-in's server, and waits for all of them before it returns; the
// upstream and the embedded broker are closed on return (stage.close).
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// Upstreams of Options.Source.
const (
	SourceWebSocket = "websocket"
	SourceSQS       = "sqs"
)

// Defaults and bounds of Options.
const (
	DefaultDuration = 30 * time.Second
	DefaultRate     = 500
	MinDuration     = 2 * time.Second
	MaxRate         = 100_000
)

// When the script acts, as fractions of Options.Duration.
const (
	dropAt    = 0.20
	expireAt  = 0.40
	restartAt = 0.60
	stopAt    = 0.85
)

// waitLimit bounds every wait for something the bridge should do; generous,
// because the demo also runs on loaded machines (and under -race).
const waitLimit = 90 * time.Second

// Simulator lateness and the bridge's allowance for it.
const (
	simLateness    = 250 * time.Millisecond
	bridgeLateness = "500ms"
)

// Options configure Run. The zero value of a field means its default.
type Options struct {
	Source        string        // SourceWebSocket (default) or SourceSQS
	Duration      time.Duration // whole script; default DefaultDuration
	Rate          float64       // events per second; default DefaultRate
	Brokers       []string      // a real cluster; default an embedded broker
	TokenLifetime time.Duration // OAuth token lifetime; default Duration
	Terminal      bool          // redraw one status line in place
	Quiet         bool          // no progress display
	Log           io.Writer     // bridge and simulator logs; nil: LogPath
	LogPath       string        // file for the logs when Log is nil; "" discards them
	LogLevel      string        // level of those logs; default "warn"
}

func (o Options) withDefaults() Options {
	if o.Source == "" {
		o.Source = SourceWebSocket
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.TokenLifetime == 0 {
		o.TokenLifetime = o.Duration
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	return o
}

// Run plays the script opts.Source names, narrating to w, and returns the
// verdict's report. Canceling ctx (SIGINT) cuts the script short:
// generation stops, the bridge delivers and flushes, and the verdict covers
// what was emitted so far. The error reports what kept the script or the
// verdict from completing; the report says whether delivery was exactly
// once.
func Run(ctx context.Context, w io.Writer, opts Options) (rep verify.Report, err error) {
	if err := opts.validate(); err != nil {
		return rep, err
	}
	opts = opts.withDefaults()
	st, err := openStage(w, opts)
	if err != nil {
		return rep, err
	}
	defer func() { err = errors.Join(err, st.close()) }()
	if opts.Source == SourceSQS {
		return runSQS(ctx, st)
	}
	return runWebSocket(ctx, st)
}

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

// runName is unique per run: topics and the bridge name derive from it, so
// a real cluster never mixes runs.
func runName(start time.Time) (string, error) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("naming the run: %w", err)
	}
	return "analytics-bridge-demo-" + start.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:]), nil
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

func (r *run) script(ctx context.Context) error {
	if err := r.connected(ctx); err != nil {
		return err
	}
	return r.steps(ctx, []step{{dropAt, r.drop}, {expireAt, r.expireTokens}, {restartAt, r.restart}})
}

func (r *run) connected(ctx context.Context) error {
	cur, _, err := r.awaitConn(ctx, "the bridge's first upstream connection")
	if err != nil {
		return err
	}
	r.out.say("connected: ?since=%s, the simulator's start (events emitted before the bridge was up are replayed), token from the OAuth endpoint", cur.Since)
	n, err := r.firstRecords(ctx)
	if err != nil {
		return err
	}
	r.out.say("streaming: %d records in Kafka", n)
	return nil
}

// inject applies a fault once the bridge streams, narrates it and waits for
// the reconnect it causes; at is when the fault was applied.
func (r *run) inject(ctx context.Context, fault func(), narration, reconnect string) (cur, prev sim.ConnInfo, at time.Time, err error) {
	if err := r.streaming(ctx); err != nil {
		return cur, prev, at, err
	}
	r.expect()
	at = time.Now()
	fault()
	r.out.say("fault: %s", narration)
	cur, prev, err = r.awaitConn(ctx, reconnect)
	return cur, prev, at, err
}

func (r *run) drop(ctx context.Context) error {
	cur, prev, at, err := r.inject(ctx, r.up.ResetConnections,
		"dropped connection (the simulator reset the TCP connection)", "the reconnect after the drop")
	if err != nil {
		return err
	}
	r.out.say("reconnected %s later, resuming with ?since=%s (%s before the drop), %s",
		fmtDur(cur.At.Sub(at)), cur.Since, sinceBefore(cur.Since, at), tokenUse(prev, cur))
	return nil
}

func (r *run) expireTokens(ctx context.Context) error {
	cur, prev, at, err := r.inject(ctx, r.up.ExpireTokens,
		"token expiry (the simulator expired every token; the open session gets token_revoked)", "the reconnect after the token expiry")
	if err != nil {
		return err
	}
	if cur.Token == prev.Token {
		r.out.say("reconnected %s later with the same token, ?since=%s", fmtDur(cur.At.Sub(at)), cur.Since)
		return nil
	}
	r.out.say("token refreshed: reconnected %s later with a new token from the OAuth endpoint, ?since=%s",
		fmtDur(cur.At.Sub(at)), cur.Since)
	return nil
}

func (r *run) restart(ctx context.Context) error {
	if err := r.streaming(ctx); err != nil {
		return err
	}
	r.expect()
	r.out.say("restart: stopping the bridge (its Run context is canceled: it flushes and checkpoints)")
	at := time.Now()
	if err := r.current().stop(r.stopTimeout()); err != nil {
		r.connMu.Lock()
		r.expecting = false
		r.connMu.Unlock()
		return err
	}
	stopped := time.Since(at)
	loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	pos, found, err := checkpoint.NewStore(r.kafka, r.cfg.CheckpointTopic, r.cfg.BridgeName).Load(loadCtx)
	cancel()
	switch {
	case err != nil:
		r.out.say("bridge stopped after %s; reading its checkpoint failed: %v", fmtDur(stopped), err)
	case !found:
		r.out.say("bridge stopped after %s; no checkpoint found", fmtDur(stopped))
	default:
		r.out.say("bridge stopped after %s; its checkpoint holds since=%s", fmtDur(stopped), pos.Since.UTC().Format(sinceLayout))
	}
	// A moment without a bridge: events keep coming and must be replayed.
	down := min(max(r.opts.Duration/20, 200*time.Millisecond), 2*time.Second)
	_ = retry.Sleep(ctx, down) // when interrupted, start the bridge anyway: it must deliver
	if err := r.startBridge(ctx); err != nil {
		return err
	}
	r.out.say("new bridge started with the same configuration, %s after the stop", fmtDur(time.Since(at)))
	cur, _, err := r.awaitConn(ctx, "the restarted bridge's connection")
	if err != nil {
		return err
	}
	if found && sameSince(cur.Since, pos.Since) {
		r.out.say("restarted bridge resumed from its checkpoint: ?since=%s", cur.Since)
	} else {
		r.out.say("restarted bridge connected with ?since=%s (not its checkpoint's since)", cur.Since)
	}
	return nil
}

// finish stops generation, waits for delivery, stops the bridge, verifies
// and prints the verdict.
func (r *run) finish(interrupted bool, stopMonitor func()) (verify.Report, error) {
	var rep verify.Report
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	if interrupted {
		r.out.say("interrupted: stopping generation, letting the bridge deliver and flush, then verifying (Ctrl-C again to abort)")
	}
	r.up.Pause()
	ledger := r.up.Ledger()
	want := int64(len(ledger))
	r.out.say("generation stopped at %d events; waiting for Kafka to hold them all", want)
	var have int64
	waitErr, stopErr := r.settle(ctx, fmt.Sprintf("%d records in %s", want, r.cfg.KafkaTopic), func() bool {
		n, err := r.topic.Records()
		if err == nil {
			have = n
		}
		return err == nil && n >= want
	}, func(took time.Duration) string {
		return fmt.Sprintf("Kafka holds %d records, %s after generation stopped", have, fmtDur(took))
	}, stopMonitor)

	records, err := r.cluster.ReadAll(ctx, r.cfg.KafkaTopic)
	if err != nil {
		return rep, errors.Join(waitErr, stopErr, fmt.Errorf("reading back %s: %w", r.cfg.KafkaTopic, err))
	}
	rep, err = verify.ExactlyOnce(ledger, records, r.cfg.BridgeName)
	if err != nil {
		return rep, errors.Join(waitErr, stopErr, fmt.Errorf("verifying: %w", err))
	}

	conns := r.up.Connections()
	tokens := map[string]struct{}{}
	for _, c := range conns {
		tokens[c.Token] = struct{}{}
	}
	r.mu.Lock()
	bridges := len(r.instances)
	r.mu.Unlock()
	r.out.say("%s, %s, %s; the bridge received %d events and dropped %d replayed duplicates",
		plural(bridges, "bridge run"), plural(len(conns), "upstream connection"), plural(len(tokens), "distinct token"),
		r.bridgeCounters(metricReceived), r.bridgeCounters(metricDuplicates))
	line := verdict(rep)
	if interrupted {
		line += fmt.Sprintf(" (interrupted after %s)", fmtDur(time.Since(r.start)))
	}
	r.out.plain("%s", line)
	for _, ex := range rep.Examples {
		r.out.plain("  e.g. %s", ex)
	}
	return rep, errors.Join(waitErr, stopErr)
}

// verdict is the final line; tests and users look for "lost N, duplicates N".
func verdict(rep verify.Report) string {
	s := fmt.Sprintf("verdict: events emitted %d, records in Kafka %d, lost %d, duplicates %d",
		rep.Events, rep.Records, rep.Lost, rep.Duplicates)
	if rep.OK() {
		return s + " — exactly once"
	}
	return s + fmt.Sprintf(", unknown %d, altered %d, out of order %d — NOT exactly once",
		rep.Unknown, rep.Mismatched, rep.OutOfOrder)
}

// sinceLayout is how the bridge writes since (milliseconds, UTC).
const sinceLayout = "2006-01-02T15:04:05.000Z07:00"

// sinceBefore says how far before t a raw since value lies.
func sinceBefore(raw string, t time.Time) string {
	since, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return "unparseable since"
	}
	return fmtDur(t.Sub(since))
}

// sameSince reports whether a raw since is the checkpoint's, at the
// millisecond precision of the wire.
func sameSince(raw string, pos time.Time) bool {
	since, err := time.Parse(time.RFC3339Nano, raw)
	return err == nil && since.Equal(pos.Truncate(time.Millisecond))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// fmtDur rounds a duration for reading.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "<1ms"
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// Package demo owns `analytics-bridge demo`: a self-contained, narrated run
// of the real bridge between an upstream and an embedded Kafka-protocol
// broker, or a real cluster. The upstream is the WebSocket simulator
// (package sim; -source websocket, the default), Genesys EventBridge
// events in the in-repo SQS stand-in (packages eventbridge and sqsfake;
// -source sqs), or the in-repo Genesys Cloud stand-in's Notifications
// WebSocket and analytics API (package genesys; -source notifications).
//
// It owns the scripts and nothing they script: the bridge is built by
// bridge.New from a configuration that goes through config.Env.Validate, as
// in production (only the addresses, topic names and timings differ), the
// faults are the simulator's or the stand-in's own, and the verdicts are
// the integration tests' (verify.ExactlyOnce; for SQS, sqstest.Verdict's
// read_committed count of distinct (topicName, eventBody) pairs; for
// notifications, genesysbridge.Verdict's coverage of every conversation
// that ended and its count of duplicate dedup keys). The
// WebSocket script (websocket.go, websocket_script.go): stream, drop the
// connection, expire the tokens, restart the bridge from its checkpoint.
// The SQS script (sqs.go, sqs_feed.go, sqs_setup.go): stream, Genesys
// resends, a duplicate delivery, failing deletes, a restart with deletes
// refused. Both then stop generating, wait for Kafka to hold every event
// and verify. The notifications script (notifications*.go): calls of a few
// seconds, a dropped socket, a socket_closing handover, an evicted
// channel, expired tokens, a rate limit, a restart with calls going on;
// then every call ends, every gap is back-filled (once more than a minute
// old: the analytics API's rule) and the verdict says whether every
// conversation that ended is covered. What they share is the stage
// (stage.go, monitor.go, measure.go, console.go).
//
// Every number it prints is measured: emitted events from the simulator or
// the feed, events read by the bridge from its Prometheus registry, records
// in Kafka from a read_committed count of the output topic, connections,
// since values and token changes from the simulator's connection log,
// queue states and injected faults from the stand-in; calls, sockets,
// channels and lost notifications from the Genesys stand-in's ledger and
// API, gaps and back-fills from the notifications source's registry.
//
// Goroutines: Run owns the monitor (progress and unexpected reconnects),
// each bridge instance's Run goroutine and, for SQS and notifications, the
// feed (of messages, of calls), and waits for all of them before it
// returns; the upstreams (simulator, stand-ins) and the embedded broker
// are closed on return (stage.close).
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// Upstreams of Options.Source.
const (
	SourceWebSocket     = "websocket"
	SourceSQS           = "sqs"
	SourceNotifications = "notifications"
)

// Defaults and bounds of Options.
const (
	DefaultDuration = 30 * time.Second
	DefaultRate     = 500
	MinDuration     = 2 * time.Second
	MaxRate         = 100_000
	// With -source notifications: the script is longer (the back-fill of
	// a gap waits until the gap is more than a minute old), and calls,
	// not events, are what the feed starts.
	DefaultNotificationsDuration = 2 * time.Minute
	MinNotificationsDuration     = 20 * time.Second
	DefaultCalls                 = 2
	MinCalls                     = 0.5 // fewer would leave the API idle: a fault could wait long for a call to hit
	MaxCalls                     = 50
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

// Options configure Run. The zero value of a field means its default.
type Options struct {
	Source        string        // SourceWebSocket (default), SourceSQS or SourceNotifications
	Duration      time.Duration // whole script; default DefaultDuration (DefaultNotificationsDuration)
	Rate          float64       // events per second; default DefaultRate
	Calls         float64       // calls started per second (notifications); default DefaultCalls
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
		if o.Source == SourceNotifications {
			o.Duration = DefaultNotificationsDuration
		}
	}
	if o.Calls == 0 {
		o.Calls = DefaultCalls
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
// once (for notifications: whether every conversation that ended is
// covered, with no dedup key twice; Events counts those conversations,
// Lost those not covered, Duplicates the keys read twice).
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
	switch opts.Source {
	case SourceSQS:
		return runSQS(ctx, st)
	case SourceNotifications:
		return runNotifications(ctx, st)
	}
	return runWebSocket(ctx, st)
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

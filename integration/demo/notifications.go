package demo

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// When the notifications script acts, as fractions of Options.Duration
// (the calls stop at stopAt, as the other scripts' generation does).
const (
	gcDropAt     = 0.12
	gcHandoverAt = 0.24
	gcEvictAt    = 0.36
	gcExpireAt   = 0.48
	gcThrottleAt = 0.56
	gcRestartAt  = 0.64
)

// Counters and gauges of the notifications source's registry that the
// demo reads.
const (
	metricGCChannels = "analytics_bridge_notifications_channels"                       // state: in_use, connected
	metricGCTopics   = "analytics_bridge_notifications_topics"                         // state: subscribed, ...
	metricGCFollowed = "analytics_bridge_notifications_conversations_followed"         // gauge
	metricGCOpenGaps = "analytics_bridge_notifications_backfill_gaps"                  // gauge: gaps not yet fetched
	metricGCAwaited  = "analytics_bridge_notifications_backfill_conversations_awaited" // gauge
	metricGCDetails  = "analytics_bridge_notifications_conversation_details_total"     // why: gap, followed, max-wait
	metricGCAPI      = "analytics_bridge_notifications_api_requests_total"             // status, reason
)

// runNotifications plays the notifications script: calls on the Genesys
// stand-in, the channel faults, a restart, and the back-fill of every gap.
func runNotifications(ctx context.Context, st *stage) (verify.Report, error) {
	g, err := serveGenesys(st)
	if err != nil {
		return verify.Report{}, err
	}
	cfg, err := notificationsEnv(st.cluster, g, st.opts.LogLevel).Validate()
	if err != nil {
		return verify.Report{}, fmt.Errorf("demo configuration: %w", err)
	}
	if err := st.watch(cfg); err != nil {
		return verify.Report{}, err
	}
	httpTransport := &http.Transport{}
	defer httpTransport.CloseIdleConnections()
	// The checkpoint reader's own client, as the WebSocket script's.
	kafkaTransport := &kafka.Transport{ClientID: "analytics-bridge-demo-monitor", MetadataTTL: time.Second}
	defer kafkaTransport.CloseIdleConnections()
	r := &gcRun{
		stage: st,
		g:     g,
		api:   channelsAPI{g: g, client: &http.Client{Transport: httpTransport, Timeout: 10 * time.Second}},
		kafka: &kafka.Client{Addr: kafka.TCP(st.cluster.Brokers...), Timeout: 20 * time.Second, Transport: kafkaTransport},
		calls: &callFeed{g: g, rate: st.opts.Calls},
	}
	// The calls start once the bridge is connected (script): a call over
	// before the bridge's first start is nobody's to back-fill.
	feedCtx, stopFeed := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	r.startCalls = func() {
		r.calls.start = time.Now()
		wg.Go(func() { r.calls.run(feedCtx) })
	}
	defer func() {
		stopFeed()
		wg.Wait()
	}()
	return st.play(ctx, r)
}

// gcRun is one run of the notifications script.
type gcRun struct {
	*stage
	g          *genesys.Server
	api        channelsAPI
	kafka      *kafka.Client
	calls      *callFeed
	startCalls func()
	// lastGap is when the latest gap the script caused closed (the
	// script's goroutine, then finish, read and write it).
	lastGap time.Time

	// The monitor's goroutine alone reads and writes these (tick).
	openGaps   float64   // the current instance's gaps to back-fill, last seen
	openGapsOf *instance // the instance they are of
}

// downtime is how long the restart leaves no bridge reading.
func (r *gcRun) downtime() time.Duration {
	return min(max(r.opts.Duration/10, 5*time.Second), 20*time.Second)
}

func (r *gcRun) header() {
	d := r.opts.Duration
	at := func(f float64) string { return fmtDur(time.Duration(f * float64(d))) }
	r.out.plain("analytics-bridge demo -source notifications: the real bridge between Genesys Cloud's Notifications WebSocket and Kafka, every gap back-filled from the analytics API")
	r.out.plain("  upstream  Genesys Cloud stand-in (in-process): api %s, login %s, streaming %s", r.g.APIURL(), r.g.LoginURL(), r.g.StreamingURL())
	r.out.plain("            %d queues, %g calls/s of a few seconds each; compressed: heartbeats every %s, tokens live %s, channels %s (renewed by subscribing again), %d channel per OAuth client (the platform: 20)",
		gcQueues, r.opts.Calls, fmtDur(gcHeartbeat), fmtDur(gcTokenLifetime), fmtDur(gcChannelLifetime), gcChannelsPerClient)
	r.headerKafka()
	r.out.plain("  script    %s: socket dropped at %s, socket_closing handover at %s, channel evicted at %s, tokens expired at %s, rate limit at %s, restart (%s down) at %s, calls stop at %s",
		fmtDur(d), at(gcDropAt), at(gcHandoverAt), at(gcEvictAt), at(gcExpireAt), at(gcThrottleAt), fmtDur(r.downtime()), at(gcRestartAt), at(stopAt))
	r.out.plain("  then      every call ends and every gap is back-filled; the analytics API serves an interval only once it is more than a minute old, so the run lasts about %s more than the script",
		fmtDur(gcSettleAfter-time.Duration((stopAt-gcRestartAt)*float64(d))+r.downtime()))
	r.headerLogs()
}

// emitted is how many calls the stand-in started (progress shows the
// stand-in's own counts instead).
func (r *gcRun) emitted() int64 { return r.calls.started.Load() }

func (r *gcRun) progress(base, s sample) string {
	sum := r.g.Summary()
	return flow(base, s) + fmt.Sprintf(" · calls %d started, %d ended", sum.Conversations, sum.Ended)
}

func (r *gcRun) statusTail() string {
	in := r.current()
	if done, _ := in.exited(); done {
		return " · no bridge running"
	}
	return fmt.Sprintf(" · %s connected · gaps to back-fill %.0f · awaited %.0f",
		plural(int(metric(in.reg, metricGCChannels, "state", "connected")), "channel"),
		metric(in.reg, metricGCOpenGaps), metric(in.reg, metricGCAwaited))
}

// tick narrates every back-fill of gaps, as the current bridge's count of
// gaps still to fetch falls.
func (r *gcRun) tick() {
	in := r.current()
	open := metric(in.reg, metricGCOpenGaps)
	if in != r.openGapsOf {
		r.openGaps, r.openGapsOf = open, in
		return
	}
	if open < r.openGaps {
		r.out.say("back-fill: %s more than a minute old fetched from the analytics API, %.0f still to fetch; conversation-detail records sent so far: %d for gaps, %d for followed conversations",
			plural(int(r.openGaps-open), "gap"), open, r.bridgeMetric(metricGCDetails, "why", "gap"), r.bridgeMetric(metricGCDetails, "why", "followed"))
	}
	r.openGaps = open
}

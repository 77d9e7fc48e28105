package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// The rate-limit fault: the analytics API refuses this many requests, each
// asking for this wait.
const (
	gcThrottled  = 3
	gcRetryAfter = 2 * time.Second
)

func (r *gcRun) script(ctx context.Context) error {
	if err := r.connected(ctx); err != nil {
		return err
	}
	return r.steps(ctx, []step{{gcDropAt, r.drop}, {gcHandoverAt, r.handover}, {gcEvictAt, r.evict},
		{gcExpireAt, r.expireTokens}, {gcThrottleAt, r.throttle}, {gcRestartAt, r.restart}})
}

// connectedNow reports whether the current bridge's channel has a socket.
func (r *gcRun) connectedNow() bool {
	return metric(r.current().reg, metricGCChannels, "state", "connected") >= 1
}

// stampOf is t on the narration's clock (its first column).
func (r *gcRun) stampOf(t time.Time) string {
	return fmt.Sprintf("%.1fs", t.Sub(r.start).Seconds())
}

// backfillFrom says when a gap that closed at end is back-filled.
func (r *gcRun) backfillFrom(end time.Time) string {
	return "back-filled once more than a minute old (from about " + r.stampOf(end.Add(gcSettleAfter)) + ")"
}

func (r *gcRun) connected(ctx context.Context) error {
	if err := r.waitFor(ctx, "the bridge's channel to connect", waitLimit, r.connectedNow); err != nil {
		return err
	}
	// Until the first socket connected, the bridge read nothing: that is
	// its first gap.
	r.lastGap = time.Now()
	in := r.current()
	r.out.say("connected: %.0f topics subscribed on one channel (the conversations topic of each of the %d queues: GENESYS_QUEUE_IDS=all); the bridge's start until then is its first gap; the calls start now",
		metric(in.reg, metricGCTopics, "state", "subscribed"), gcQueues)
	r.startCalls()
	n, err := r.firstRecords(ctx)
	if err != nil {
		return err
	}
	if err := r.waitFor(ctx, "a conversation followed", waitLimit, func() bool { return metric(r.current().reg, metricGCFollowed) >= 1 }); err != nil {
		return err
	}
	r.out.say("streaming: each call is seen on its queue's topic, and its %d detail event topics are subscribed then (%s followed now); "+
		"its first events came before, so each conversation is completed by a conversation-detail record fetched by id once it ends; %s in Kafka",
		len(r.cfg.Notifications.DetailTypes), plural(int(metric(r.current().reg, metricGCFollowed)), "conversation"), plural(int(n), "record"))
	return nil
}

// onChannel applies fault to the bridge's channel once it is the OAuth
// client's only live channel and connected, and returns the channel's id.
func (r *gcRun) onChannel(ctx context.Context, what string, fault func(id string) error) (string, error) {
	var id string
	err := r.waitFor(ctx, what, waitLimit, func() bool {
		if !r.connectedNow() {
			return false
		}
		ids, err := r.api.live(ctx)
		if err != nil || len(ids) != 1 {
			return false
		}
		id = ids[0]
		return fault(id) == nil
	})
	return id, err
}

// reconnected waits until the stand-in accepted a socket more than before
// and the bridge is connected, and returns the stand-in's counts then.
func (r *gcRun) reconnected(ctx context.Context, what string, before genesys.Summary) (genesys.Summary, error) {
	var now genesys.Summary
	err := r.waitFor(ctx, what, waitLimit, func() bool {
		now = r.g.Summary()
		return now.Sockets > before.Sockets && r.connectedNow()
	})
	return now, err
}

// channelNow names the channel the bridge uses now, against the one it
// used before, and reports whether it is the same.
func (r *gcRun) channelNow(ctx context.Context, before string) (string, bool) {
	ids, err := r.api.live(ctx)
	switch {
	case err != nil:
		return "a channel (listing them failed: " + err.Error() + ")", false
	case slices.Contains(ids, before):
		return "the same channel", true
	}
	return fmt.Sprintf("channel %v", ids), false
}

func (r *gcRun) drop(ctx context.Context) error {
	before := r.g.Summary()
	var at time.Time
	id, err := r.onChannel(ctx, "a connected channel to drop", func(id string) error {
		at = time.Now()
		return r.g.DropSocket(id, 0)
	})
	if err != nil {
		return err
	}
	r.out.say("fault: the stand-in dropped the socket of the bridge's channel %s without a close frame (a connection reset)", id)
	after, err := r.reconnected(ctx, "the socket to reconnect", before)
	if err != nil {
		return err
	}
	r.lastGap = time.Now()
	channel, same := r.channelNow(ctx, id)
	if same {
		channel += " (the socket ended, the channel lives on)"
	}
	r.out.say("reconnected %s later to %s; %d notifications published meanwhile were lost to it (the platform queues nothing): a gap, %s",
		fmtDur(r.lastGap.Sub(at)), channel, after.Missed-before.Missed, r.backfillFrom(r.lastGap))
	return nil
}

func (r *gcRun) handover(ctx context.Context) error {
	before := r.g.Summary()
	var at time.Time
	id, err := r.onChannel(ctx, "a connected channel to hand over", func(id string) error {
		at = time.Now()
		return r.g.SocketClosing(id)
	})
	if err != nil {
		return err
	}
	r.out.say("fault: the stand-in sent v2.system.socket_closing on channel %s: its socket is to close %s later", id, fmtDur(gcClosingGrace))
	after, err := r.reconnected(ctx, "the handover's new socket", before)
	if err != nil {
		return err
	}
	took, lost := time.Since(at), after.Missed-before.Missed
	tail := "nothing to back-fill"
	if lost > 0 {
		tail = "a gap, " + r.backfillFrom(time.Now())
		r.lastGap = time.Now()
	}
	channel, _ := r.channelNow(ctx, id)
	r.out.say("handover: a new socket connected to %s %s after the announcement (the platform keeps one socket a channel: the new one closes the old); notifications lost: %d, %s",
		channel, fmtDur(took), lost, tail)
	return nil
}

func (r *gcRun) evict(ctx context.Context) error {
	old, err := r.onChannel(ctx, "the bridge's channel", func(string) error { return nil })
	if err != nil {
		return err
	}
	before, at := r.g.Summary(), time.Now()
	mine, err := r.api.open(ctx)
	if err != nil {
		return fmt.Errorf("opening a channel: %w", err)
	}
	r.out.say("fault: another user of the bridge's OAuth client opened a channel (%s); with %d channel a client here (the platform: 20, a 21st evicts the oldest, unconnected first) the bridge's channel %s was evicted and its socket closed",
		mine, gcChannelsPerClient, old)
	var ids []string
	if err := r.waitFor(ctx, "the bridge's new channel", waitLimit, func() bool {
		if r.g.Summary().Sockets <= before.Sockets || !r.connectedNow() {
			return false
		}
		live, lerr := r.api.live(ctx)
		ids = live
		return lerr == nil && len(ids) > 0 && !slices.Contains(ids, old) && !slices.Contains(ids, mine)
	}); err != nil {
		return err
	}
	r.lastGap = time.Now()
	r.out.say("the bridge found its channel gone, opened channel %s (which evicted the unconnected %s), subscribed its %.0f topics again and connected, %s after the eviction; what was published in between is a gap, %s",
		ids[0], mine, metric(r.current().reg, metricGCTopics, "state", "subscribed"), fmtDur(r.lastGap.Sub(at)), r.backfillFrom(r.lastGap))
	return nil
}

func (r *gcRun) expireTokens(ctx context.Context) error {
	refused, sockets, at := r.bridgeMetric(metricGCAPI, "status", "401"), r.g.Summary().Sockets, time.Now()
	r.g.ExpireTokens()
	r.out.say("fault: every OAuth token expired at once (revoked: the next API call with one is refused with 401)")
	if err := r.waitFor(ctx, "an API call refused with 401", waitLimit, func() bool {
		return r.bridgeMetric(metricGCAPI, "status", "401") > refused
	}); err != nil {
		return err
	}
	socket := "its socket, which carries no token, stayed up"
	if n := r.g.Summary().Sockets - sockets; n > 0 {
		socket = fmt.Sprintf("%s accepted meanwhile", plural(n, "new socket"))
	}
	r.out.say("the bridge's next API call was refused with 401 %s later; it took a new token from the login host and made the call again; %s",
		fmtDur(time.Since(at)), socket)
	return nil
}

func (r *gcRun) throttle(ctx context.Context) error {
	limited, at := r.bridgeMetric(metricGCAPI, "status", "429"), time.Now()
	r.g.Throttle("/api/v2/analytics", gcThrottled, gcRetryAfter)
	r.out.say("fault: the analytics API answers its next %d requests 429 Too Many Requests, Retry-After %s", gcThrottled, fmtDur(gcRetryAfter))
	if err := r.waitFor(ctx, "the rate-limited requests", waitLimit, func() bool {
		return r.bridgeMetric(metricGCAPI, "status", "429")-limited >= gcThrottled
	}); err != nil {
		return err
	}
	r.out.say("the bridge waited as told before each retry: %d requests refused over %s; its back-fill comes later, nothing is lost",
		gcThrottled, fmtDur(time.Since(at)))
	return nil
}

// restart stops the bridge while calls go on, leaves it down, and starts a
// new one: it back-fills its own downtime from its checkpoint.
func (r *gcRun) restart(ctx context.Context) error {
	if err := r.waitFor(ctx, "the bridge to stream", waitLimit, r.connectedNow); err != nil {
		return err
	}
	r.out.say("restart: stopping the bridge (it flushes and checkpoints); the calls go on without it")
	at := time.Now()
	if err := r.current().stop(r.stopTimeout()); err != nil {
		return err
	}
	stopped := time.Now()
	r.out.say("bridge stopped after %s; %s", fmtDur(stopped.Sub(at)), r.checkpointSays(ctx))
	// When interrupted, start the bridge anyway: it must deliver.
	_ = retry.Sleep(ctx, time.Until(stopped.Add(r.downtime())))
	if err := r.startBridge(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	started := time.Now()
	var began, over int
	for _, c := range r.g.Conversations() {
		if !c.Start.Before(stopped) && c.Start.Before(started) {
			began++
			if c.End.Before(started) {
				over++
			}
		}
	}
	r.out.say("new bridge started with the same configuration, %s after the stop; %d calls began meanwhile, and %d of them also ended: no bridge saw those, only the back-fill of the downtime can cover them",
		fmtDur(started.Sub(stopped)), began, over)
	if err := r.waitFor(ctx, "the restarted bridge to connect", waitLimit, func() bool {
		return r.connectedNow() && metric(r.current().reg, metricGCOpenGaps) >= 1
	}); err != nil {
		return err
	}
	r.lastGap = time.Now()
	in := r.current()
	r.out.say("the restarted bridge resumed from its checkpoint and connected %s after its start: %s to back-fill (those its checkpoint listed, its downtime from the checkpoint's complete-until, its start until connected), %s awaited by id; the downtime is %s",
		fmtDur(r.lastGap.Sub(started)), plural(int(metric(in.reg, metricGCOpenGaps)), "gap"), plural(int(metric(in.reg, metricGCAwaited)), "conversation"),
		r.backfillFrom(r.lastGap))
	return nil
}

// checkpointSays reads the stopped bridge's checkpoint: how far its live
// stream was complete and what it still had to back-fill.
func (r *gcRun) checkpointSays(ctx context.Context) string {
	loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	pos, found, err := checkpoint.NewStore(r.kafka, r.cfg.CheckpointTopic, r.cfg.BridgeName).Load(loadCtx)
	switch {
	case err != nil:
		return "reading its checkpoint failed: " + err.Error()
	case !found:
		return "no checkpoint found"
	}
	var s feedState
	if err := json.Unmarshal(pos.State, &s); err != nil {
		return "its checkpoint's state is unreadable: " + err.Error()
	}
	return fmt.Sprintf("its checkpoint: the live stream complete until %s, %s still to back-fill, %s awaited by id",
		r.stampOf(s.Live), plural(len(s.Gaps), "gap"), plural(len(s.Pending), "conversation"))
}

package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesysbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// finish stops the calls, waits until every call has ended and the bridge
// has back-filled every gap and written every conversation it awaited,
// stops the bridge, verifies and prints the verdict.
func (r *gcRun) finish(interrupted bool, stopMonitor func()) (verify.Report, error) {
	if r.lastGap.IsZero() {
		// Interrupted before the bridge connected: its first gap closes
		// when it does, about now.
		r.lastGap = time.Now()
	}
	// The last gap is fetched gcSettleAfter after it closed; waitLimit is
	// the margin for the rest (the calls' ends, a loaded machine).
	limit := max(time.Until(r.lastGap.Add(gcSettleAfter)), 0) + waitLimit
	ctx, cancel := context.WithTimeout(context.Background(), limit+waitLimit)
	defer cancel()
	if interrupted {
		r.out.say("interrupted: stopping the calls, letting the bridge back-fill and flush, then verifying (Ctrl-C again to abort)")
	}
	started := r.calls.stop()
	sum := r.g.Summary()
	r.out.say("Genesys stopped starting calls after %d; waiting for the %d still going on to end, and for every gap to be back-filled (the last closed at %s: from about %s)",
		started, sum.Conversations-sum.Ended, r.stampOf(r.lastGap), r.stampOf(r.lastGap.Add(gcSettleAfter)))
	var (
		have    int
		checked time.Time
	)
	waitErr, stopErr := r.settleWithin(ctx, limit, "every call to end and every gap to be back-filled", func() bool {
		s, in := r.g.Summary(), r.current()
		if s.Ended < s.Conversations || metric(in.reg, metricGCOpenGaps) > 0 || metric(in.reg, metricGCAwaited) > 0 ||
			time.Since(checked) < time.Second {
			return false
		}
		checked = time.Now()
		readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		rep, err := genesysbridge.Verdict(readCtx, r.cluster, r.cfg.KafkaTopic, r.g)
		have = rep.Records
		return err == nil && rep.Complete()
	}, func(took time.Duration) string {
		return fmt.Sprintf("every call ended, every gap is back-filled and every conversation covered: Kafka holds %d records, %s after the calls stopped",
			have, fmtDur(took))
	}, stopMonitor)
	errs := errors.Join(waitErr, stopErr)

	report, err := genesysbridge.Verdict(ctx, r.cluster, r.cfg.KafkaTopic, r.g)
	if err != nil {
		return verify.Report{}, errors.Join(errs, err)
	}
	r.mu.Lock()
	bridges := len(r.instances)
	r.mu.Unlock()
	sum = r.g.Summary()
	r.out.say("%s; the stand-in accepted %s, published %d notifications and lost %d copies to a subscribed channel without a socket; the bridge's source handed over %d records (notifications and back-filled conversations), %d of them dropped as duplicates",
		plural(bridges, "bridge run"), plural(sum.Sockets, "socket"), sum.Published, sum.Missed,
		r.bridgeCounters(metricReceived), r.bridgeCounters(metricDuplicates))
	r.out.say("read_committed reader: %d records: %d notifications, %d conversation-detail (%d for gaps, %d for followed conversations, %d written at max-wait)%s",
		report.Records, report.Events, report.Details, report.Backfilled["gap"], report.Backfilled["followed"], report.Backfilled["max-wait"], others(report.Other))
	line := gcVerdict(report)
	if interrupted {
		line += fmt.Sprintf(" (interrupted after %s)", fmtDur(time.Since(r.start)))
	}
	r.out.plain("%s", line)
	rep := verify.Report{Events: report.Coverage.Ended, Records: report.Records, Lost: len(report.Coverage.Missing),
		Duplicates: len(report.DuplicateKeys)}
	for _, id := range report.Coverage.Missing {
		rep.Examples = append(rep.Examples, "conversation "+id+" ended and is covered neither by its detail events nor by a conversation-detail record")
	}
	for _, k := range report.DuplicateKeys {
		rep.Examples = append(rep.Examples, fmt.Sprintf("dedup key %q read more than once", k))
	}
	for _, ex := range rep.Examples[:min(len(rep.Examples), 5)] {
		r.out.plain("  e.g. %s", ex)
	}
	return rep, errs
}

func others(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d of another kind", n)
}

// gcVerdict is the notifications script's final line; tests and users look
// for "N conversations ended; every one covered" and "0 duplicate dedup
// keys — complete".
func gcVerdict(rep genesysbridge.Report) string {
	c := rep.Coverage
	covered := fmt.Sprintf("%d by all their detail events, %d by a conversation-detail record (back-filled)", c.ByEvents, c.ByDetails)
	if rep.Complete() {
		return fmt.Sprintf("verdict: %s ended; every one covered: %s; 0 duplicate dedup keys — complete",
			plural(c.Ended, "conversation"), covered)
	}
	return fmt.Sprintf("verdict: %s ended; %d not covered, %s; %d duplicate dedup keys — NOT complete",
		plural(c.Ended, "conversation"), len(c.Missing), covered, len(rep.DuplicateKeys))
}

package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// When the SQS script acts, as fractions of Options.Duration (the restart
// and the verdict come when the WebSocket script's do).
const (
	resendAt     = 0.15
	duplicateAt  = 0.30
	failDeleteAt = 0.45
)

// runSQS plays the SQS script: Genesys events through EventBridge into the
// stand-in queue, resends, a duplicate delivery, failing deletes, and a
// restart while deletes are refused.
func runSQS(ctx context.Context, st *stage) (verify.Report, error) {
	q, err := serveStandIn(st)
	if err != nil {
		return verify.Report{}, err
	}
	cfg, err := sqsEnv(st.cluster, q, st.opts.LogLevel, dedupKeys(st.opts)).Validate()
	if err != nil {
		return verify.Report{}, fmt.Errorf("demo configuration: %w", err)
	}
	if err := st.watch(cfg); err != nil {
		return verify.Report{}, err
	}
	st.newSource = sqsSource

	// Events put before the bridge is up wait in the queue.
	f := newFeed(q, st.opts.Rate, st.start)
	feedCtx, stopFeed := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { f.run(feedCtx) })
	defer func() {
		stopFeed()
		wg.Wait()
	}()
	return st.play(ctx, &sqsRun{stage: st, q: q, feed: f})
}

// sqsRun is one run of the SQS script.
type sqsRun struct {
	*stage
	q    *sqstest.Queue
	feed *feed
}

func (r *sqsRun) header() {
	d := r.opts.Duration
	at := func(f float64) string { return fmtDur(time.Duration(f * float64(d))) }
	r.out.plain("analytics-bridge demo -source sqs: the real bridge between Genesys Cloud events in an SQS queue and Kafka")
	r.out.plain("  upstream  Genesys Cloud -> EventBridge -> SQS queue %s (in-process stand-in, %g events/s, visibility timeout %s)",
		r.q.URL, r.opts.Rate, fmtDur(sqsVisibility))
	r.headerKafka()
	r.out.plain("  script    %s: resends at %s, duplicate delivery at %s, failing deletes at %s, restart with deletes refused at %s, verdict from %s",
		fmtDur(d), at(resendAt), at(duplicateAt), at(failDeleteAt), at(restartAt), at(stopAt))
	r.headerLogs()
}

func (r *sqsRun) emitted() int64 { return r.feed.originals.Load() }

func (r *sqsRun) statusTail() string {
	return fmt.Sprintf(" · deleted %d · %s", r.bridgeCounters(metricSQSDeleted), queueState(r.q))
}

func (r *sqsRun) tick() {}

func (r *sqsRun) script(ctx context.Context) error {
	if err := r.receiving(ctx); err != nil {
		return err
	}
	return r.steps(ctx, []step{{resendAt, r.resends}, {duplicateAt, r.duplicates}, {failDeleteAt, r.failDeletes}, {restartAt, r.restart}})
}

// dropped is the run's duplicates dropped so far.
func (r *sqsRun) dropped() int64 { return r.bridgeCounters(metricDuplicates) }

func (r *sqsRun) receiving(ctx context.Context) error {
	n, err := r.firstRecords(ctx)
	if err != nil {
		return err
	}
	if err := r.waitFor(ctx, "the first deletes", waitLimit, func() bool { return r.bridgeCounters(metricSQSDeleted) > 0 }); err != nil {
		return err
	}
	r.out.say("streaming: %d receive loops (SQS_RECEIVERS) long-poll the queue; %d records in Kafka, each message deleted once its record is committed",
		r.cfg.SQS.Receivers, n)
	return nil
}

// awaitDrops waits until the run dropped n duplicates more than before and
// returns how many it dropped.
func (r *sqsRun) awaitDrops(ctx context.Context, what string, before, n int64) (int64, error) {
	err := r.waitFor(ctx, what, waitLimit, func() bool { return r.dropped()-before >= n })
	return r.dropped() - before, err
}

func (r *sqsRun) resends(ctx context.Context) error {
	before := r.dropped()
	n := r.feed.resend(burst(r.opts.Rate))
	r.out.say("fault: Genesys resent %d events through EventBridge: the same detail (topicName, eventBody) under new EventBridge ids", n)
	got, err := r.awaitDrops(ctx, "the resends to be dropped", before, int64(n))
	if err != nil {
		return err
	}
	r.out.say("the bridge dropped %d resends: its dedup key is the detail's content, never the EventBridge id", got)
	return nil
}

func (r *sqsRun) duplicates(ctx context.Context) error {
	n := burst(r.opts.Rate)
	before, copies := r.dropped(), r.q.Server.Stats().Duplicated
	r.q.Server.DuplicateNext(n)
	r.out.say("fault: SQS delivers the next %d messages twice (same MessageId and body: a standard queue delivers at least once)", n)
	if err := r.waitFor(ctx, "the second copies", waitLimit, func() bool { return r.q.Server.Stats().Duplicated-copies >= n }); err != nil {
		return err
	}
	got, err := r.awaitDrops(ctx, "the second copies to be dropped", before, int64(n))
	if err != nil {
		return err
	}
	r.out.say("the bridge dropped %d second copies; each copy is deleted with its own receipt handle", got)
	return nil
}

func (r *sqsRun) failDeletes(ctx context.Context) error {
	n := burst(r.opts.Rate)
	failed := r.q.Server.Stats().FailedEntries
	r.q.Server.FailDeleteEntries(n)
	r.out.say("fault: SQS fails the next %d DeleteMessageBatch entries (InternalError inside a successful call); their records are already committed", n)
	if err := r.waitFor(ctx, "the failed delete entries", waitLimit, func() bool { return r.q.Server.Stats().FailedEntries-failed >= n }); err != nil {
		return err
	}
	r.out.say("the bridge retries those %d deletes in later batches (given up so far: %d; a message whose delete is given up comes back after its visibility timeout and is dropped)",
		n, r.bridgeCounters(metricSQSGivenUp))
	return nil
}

// restart stops the bridge while SQS refuses its deletes, as a crash
// between commit and delete would leave the queue, and starts a new one:
// the messages committed but not deleted come back after their
// visibility timeout, and the new bridge, whose window it rebuilt from the
// topic, drops them.
func (r *sqsRun) restart(ctx context.Context) error {
	refused := r.q.Server.Stats().FailedCalls
	heal := r.q.Server.FailCalls("DeleteMessageBatch", sqsfake.ServiceUnavailable)
	defer heal()
	r.out.say("fault: SQS refuses every DeleteMessageBatch from now (503 ServiceUnavailable)")
	if err := r.waitFor(ctx, "a refused delete", waitLimit, func() bool { return r.q.Server.Stats().FailedCalls > refused }); err != nil {
		return err
	}
	r.out.say("restart: stopping the bridge (it flushes and commits; its deletes fail until SHUTDOWN_TIMEOUT=%s)", sqsShutdownTimeout)
	old, at := r.current(), time.Now()
	if err := old.stop(r.stopTimeout()); err != nil {
		return err
	}
	// Committed: written (acknowledged at commit) or dropped as a copy of
	// what was; the rest of what it read was never committed.
	committed := counter(old.reg, metricAcked) + counter(old.reg, metricDuplicates)
	kept := committed - counter(old.reg, metricSQSDeleted)
	uncommitted := counter(old.reg, metricSQSReceived) - committed
	r.out.say("bridge stopped after %s: %.0f messages whose records are committed stay in the queue, undeleted (beside %.0f read but never committed)",
		fmtDur(time.Since(at)), kept, uncommitted)
	heal()
	// When interrupted, start the bridge anyway: it must deliver.
	if err := r.startBridge(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	r.out.say("SQS accepts deletes again; new bridge started with the same configuration, %s after the stop", fmtDur(time.Since(at)))
	got, err := r.awaitDrops(ctx, "the committed messages to come back and be dropped", r.dropped(), int64(kept))
	if err != nil {
		return err
	}
	r.out.say("they came back after their visibility timeout: the restarted bridge, its dedup window rebuilt from the topic's read_committed tail, dropped %d and deleted them", got)
	return nil
}

// finish stops the feed, waits for delivery and an empty queue, stops the
// bridge, verifies and prints the verdict.
func (r *sqsRun) finish(interrupted bool, stopMonitor func()) (verify.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	if interrupted {
		r.out.say("interrupted: stopping the feed, letting the bridge deliver, delete and flush, then verifying (Ctrl-C again to abort)")
	}
	ledger, feedErr := r.feed.stop()
	want := int64(ledger.Len())
	r.out.say("Genesys stopped after %d messages (%d distinct events, the rest resends); waiting for Kafka to hold them all and the queue to drain",
		r.feed.messages.Load(), want)
	var have int64
	waitErr, stopErr := r.settle(ctx, fmt.Sprintf("%d records in %s and an empty queue", want, r.cfg.KafkaTopic), func() bool {
		n, err := r.topic.Records()
		if err == nil {
			have = n
		}
		return err == nil && n >= want && r.q.Drained()
	}, func(took time.Duration) string {
		return fmt.Sprintf("Kafka holds %d records and the queue is empty, %s after the feed stopped", have, fmtDur(took))
	}, stopMonitor)
	errs := errors.Join(feedErr, waitErr, stopErr)

	report, err := sqstest.Verdict(ctx, r.cluster, r.cfg.KafkaTopic, ledger)
	if err != nil {
		return verify.Report{}, errors.Join(errs, err)
	}
	drained := r.q.Drained()
	if !drained {
		errs = errors.Join(errs, fmt.Errorf("the queue is not empty: %s", queueState(r.q)))
	}
	r.mu.Lock()
	bridges := len(r.instances)
	r.mu.Unlock()
	r.out.say("%s; the bridge received %d messages, dropped %d duplicates (resends, second copies, redeliveries) and deleted %d",
		plural(bridges, "bridge run"), r.bridgeCounters(metricSQSReceived), r.dropped(), r.bridgeCounters(metricSQSDeleted))
	line := sqsVerdict(report, r.feed.messages.Load(), drained, r.q)
	if interrupted {
		line += fmt.Sprintf(" (interrupted after %s)", fmtDur(time.Since(r.start)))
	}
	r.out.plain("%s", line)
	rep := verify.Report{Events: report.Expected, Records: report.Read, Lost: report.Missing, Duplicates: report.Duplicates,
		Unknown: report.Unexpected, Mismatched: report.Malformed}
	return rep, errs
}

// sqsVerdict is the SQS script's final line; tests and users look for
// "N distinct events, 0 duplicates" and "queue drained".
func sqsVerdict(rep eventbridge.Report, messages int64, drained bool, q *sqstest.Queue) string {
	s := fmt.Sprintf("verdict: Genesys sent %d distinct events in %d messages; read_committed reader: %d distinct events, %d duplicates, %d missing",
		rep.Expected, messages, rep.Distinct, rep.Duplicates, rep.Missing)
	if drained {
		s += "; queue drained"
	} else {
		s += "; " + queueState(q)
	}
	if rep.ExactlyOnce() && drained {
		return s + " — exactly once"
	}
	return s + fmt.Sprintf(", %d unexpected, %d malformed — NOT exactly once", rep.Unexpected, rep.Malformed)
}

package integration_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

var (
	sqsCrashLoopFor  = flag.Duration("sqs-crash-loop", 60*time.Second, "how long TestSQSCrashLoopRecovers SIGKILLs the bridge (shorter for a quick run)")
	sqsCrashLoopRate = flag.Int("sqs-crash-loop-rate", 1000, "messages per second TestSQSCrashLoopRecovers sends to the queue")
)

// sqsRecoveryLimit is the requirement: after a crash loop, the last
// instance drains the queue and completes the topic within it.
const sqsRecoveryLimit = 15 * time.Second

// TestSQSCrashLoopRecovers sends Genesys events (with resends) to the queue
// at -sqs-crash-loop-rate for -sqs-crash-loop while the real binary is
// SIGKILLed every 2-3 s (seeded by -kill-seed) and restarted at once with
// the same BRIDGE_INSTANCE_ID, as a restarted container is. Then the
// sending stops and a last instance runs. The test measures the time from
// its start until the queue is drained and an independent read_committed
// count reaches the number of distinct (topicName, eventBody) pairs sent,
// then requires each pair exactly once. Transactions on (the default).
//
// Recovery is required within 15 s (sqsRecoveryLimit). It is the restart
// and tail scan, the 2 s visibility timeout of what the last killed
// instance held, and the backlog the loop left: that backlog is the
// machine's speed, not the bridge's, so under the race detector, which
// slows the embedded broker and the stand-in in this process several
// times over, the figure is only reported. Either way the wait fails when
// nothing moves for waitLimit.
func TestSQSCrashLoopRecovers(t *testing.T) {
	rate := *sqsCrashLoopRate
	s := newSQSProcessSetup(t, 17, func(e *config.Env) {
		e.DedupMaxKeys = strconv.Itoa(max(100_000, 2*int(sqsCrashLoopFor.Seconds())*rate))
		e.LeaseSessionTimeout = "10s" // the default: a restart must not wait for it
		// A killed instance's open transaction must be ended by its
		// successor, not outlived: far beyond the waits below.
		e.KafkaTxnTimeout = "5m"
	})
	logFile := proctest.NewLog(t, "sqs-crash-loop.log")
	// Counting from the start keeps the count current when the last
	// instance starts.
	counter, err := s.kafka.CountCommitted(s.env.KafkaTopic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(counter.Close)

	feed := startFeeder(t, s.q, 19, rate)
	rng := rand.New(rand.NewPCG(*killSeed, 5))
	var ready []time.Duration // restart -> first message received
	kills := 0
	for end := time.Now().Add(*sqsCrashLoopFor); time.Now().Before(end); kills++ {
		before := s.q.Server.Stats().Received
		started := time.Now()
		c := s.start(t, s.env, logFile)
		life := time.Duration(2000+rng.IntN(1000)) * time.Millisecond
		received := false
		for time.Since(started) < life {
			if !received && s.q.Server.Stats().Received > before {
				received = true
				ready = append(ready, time.Since(started))
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.Kill(t)
	}
	ledger := feed.stop(t)
	sent, resends := feed.sent.Load(), feed.resends.Load()
	backlog := s.q.Server.Visible(sqstest.QueueName) + s.q.Server.InFlight(sqstest.QueueName)

	lastStart := time.Now()
	last := s.start(t, s.env, logFile)
	var drainedAt, completeAt time.Duration
	t.Cleanup(func() {
		if t.Failed() {
			n, err := counter.Records()
			t.Logf("at the end: %d messages sent, %d pairs; queue visible %d, in flight %d; %d records counted (%v); stand-in %+v",
				sent, ledger.Len(), s.q.Server.Visible(sqstest.QueueName), s.q.Server.InFlight(sqstest.QueueName), n, err, s.q.Server.Stats())
		}
	})
	// No deadline beyond waitLimit without progress: the backlog the loop
	// left is the machine's speed (see above), and a bridge that stopped
	// still fails.
	remaining, counted := -1, int64(-1)
	progressed := time.Now()
	for drainedAt == 0 || completeAt == 0 {
		n, err := counter.Records()
		left := s.q.Server.Visible(sqstest.QueueName) + s.q.Server.InFlight(sqstest.QueueName)
		if drainedAt == 0 && s.q.Drained() {
			drainedAt = time.Since(lastStart)
		}
		if completeAt == 0 && n >= int64(ledger.Len()) {
			completeAt = time.Since(lastStart)
		}
		if left != remaining || n != counted {
			remaining, counted, progressed = left, n, time.Now()
		}
		if time.Since(progressed) > waitLimit {
			t.Fatalf("no progress for %s: %d messages left on the queue, %d of %d pairs counted (%v)", waitLimit, left, n, ledger.Len(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	recovered := max(drainedAt, completeAt)
	last.Stop(t)

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	report, err := sqstest.Verdict(ctx, s.kafka, s.env.KafkaTopic, ledger)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ready)
	line := fmt.Sprintf("sqs crash loop: kills=%d messages=%d (resends %d, distinct pairs %d) at %d/s for %s; "+
		"restart to first receive median %s max %s (%d of %d restarts received); last instance: backlog %d, queue drained after %s, topic complete after %s, "+
		"recovered in %s (limit %s, race detector %v); duplicates=%d missing=%d; stand-in %+v",
		kills, sent, resends, ledger.Len(), rate, *sqsCrashLoopFor, median(ready), maxOf(ready), len(ready), kills,
		backlog, drainedAt.Round(time.Millisecond), completeAt.Round(time.Millisecond), recovered.Round(time.Millisecond),
		sqsRecoveryLimit, raceEnabled, report.Duplicates, report.Missing, s.q.Server.Stats())
	fmt.Println(line)
	t.Log(line)
	// The count reached the ledger's size at completeAt and the topic
	// holds the ledger exactly once now: so it did then.
	if !report.ExactlyOnce() {
		t.Fatalf("not exactly once: %+v", report)
	}
	if recovered > sqsRecoveryLimit && !raceEnabled {
		t.Errorf("the last instance took %s to drain the queue and complete the topic, want at most %s", recovered.Round(time.Millisecond), sqsRecoveryLimit)
	}
	if len(ready) < kills/2 {
		t.Errorf("only %d of %d restarts received from the queue within their 2-3 s life", len(ready), kills)
	}
}

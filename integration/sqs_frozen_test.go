package integration_test

import (
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// TestSQSFrozenInstanceIsFenced freezes the active instance (SIGSTOP) while
// it holds received messages, lets a second instance (same BRIDGE_NAME,
// another BRIDGE_INSTANCE_ID) take over after LEASE_SESSION_TIMEOUT, and
// resumes the first (SIGCONT) while the second delivers. The first must be
// fenced (transactions) or find its lease lost (without) and stand by,
// the second must never be pushed back, the messages the first held must
// come back to the second after their visibility timeout, and every
// distinct (topicName, eventBody) pair must be in the topic
// (read_committed) with the queue drained: once with transactions.
//
// Without transactions nothing fences the resumed instance at the broker.
// Its lease gate refuses every write once its clock shows the lease
// expired, but a freeze that falls between that check and the request's
// send lets that one batch through when it resumes (see lease.Lease): the
// test allows at most what the instance held when it was frozen to be
// written twice, as copies with the same dedup key.
func TestSQSFrozenInstanceIsFenced(t *testing.T) {
	bothModes(t, sqsFrozenInstance)
}

// sqsFrozenInstance is TestSQSFrozenInstanceIsFenced in one commit mode.
func sqsFrozenInstance(t *testing.T, transactions string) {
	s := newSQSProcessSetup(t, 23, func(e *config.Env) {
		e.KafkaTransactions = transactions
		e.LeaseSessionTimeout = "1s"
		// Far beyond the waits below: only the second instance's fence,
		// not the coordinator's timeout, can stop the first in time.
		e.KafkaTxnTimeout = "5m"
	})
	counter, err := s.kafka.CountCommitted(s.env.KafkaTopic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(counter.Close)
	count := func() int64 { n, _ := counter.Records(); return n }
	logA := proctest.NewLog(t, "instance-a.log")
	logB := proctest.NewLog(t, "instance-b.log")
	envA, envB := s.env, s.env
	envA.BridgeInstanceID, envB.BridgeInstanceID = "instance-a", "instance-b"

	feed := startFeeder(t, s.q, 29, 500)
	a := s.start(t, envA, logA)
	waitFor(t, "instance a to deliver", func() bool { return count() >= 500 })
	// Freeze a while it holds messages (nobody else receives: what is in
	// flight then is a's).
	held := 0
	waitFor(t, "instance a frozen holding messages", func() bool {
		a.Freeze(t)
		if held = s.q.Server.InFlight(sqstest.QueueName); held > 0 {
			return true
		}
		a.Thaw(t)
		return false
	})
	redelivered := s.q.Server.Stats().Redelivered
	frozenAt := count()

	b := s.start(t, envB, logB)
	waitFor(t, "instance b to take over and deliver", func() bool { return count() >= frozenAt+500 })
	waitFor(t, "the messages a held to come back", func() bool { return s.q.Server.Stats().Redelivered > redelivered })
	a.Thaw(t)
	waitFor(t, "instance a to stand by", func() bool { return logA.Has("stopped producing; standing by") })
	why := "fenced"
	if transactions == "false" {
		why = "lease lost"
	}
	if !logA.Has(why) {
		t.Errorf("instance a stood by, but not %s:\n%s", why, logA.Tail(20))
	}
	// b keeps delivering while a stands by.
	resumedAt := count()
	waitFor(t, "instance b to deliver after a resumed", func() bool { return count() >= resumedAt+500 })
	ledger := feed.stop(t)
	maxDuplicates := 0
	if transactions == "false" {
		maxDuplicates = held
	}
	report := waitDelivered(t, s.kafka, s.env.KafkaTopic, ledger, s.q, maxDuplicates)
	b.Stop(t)
	a.Stop(t)
	if logB.Has("stopped producing; standing by") {
		t.Errorf("instance b was pushed back by the resumed instance:\n%s", logB.Tail(20))
	}
	t.Logf("a held %d messages when frozen; %d messages sent (%d resends); duplicates=%d; %+v; stand-in %+v",
		held, feed.sent.Load(), feed.resends.Load(), report.Duplicates, report, s.q.Server.Stats())
}

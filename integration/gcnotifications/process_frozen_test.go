package gcnotifications_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
)

// TestNotificationsFrozenInstance freezes the streaming instance (SIGSTOP)
// while calls go on: its socket stays open and the stand-in keeps writing
// to it. A second instance (same BRIDGE_NAME, another BRIDGE_INSTANCE_ID)
// takes over after LEASE_SESSION_TIMEOUT, with channels of its own, and
// streams. Then the first resumes (SIGCONT) and reads what piled up on its
// socket: its writes must be fenced and it must stand by, the second must
// never be pushed back, and the topic (read_committed) must cover every
// call with no dedup key twice. Transactions on (the default): without
// them a write in flight at the freeze may land twice, as in the sqs
// source's frozen test.
func TestNotificationsFrozenInstance(t *testing.T) {
	t.Parallel()
	bin := proctest.Build(t)
	s := newProcSetup(t, bin, genesys.Options{Seed: 41}, func(e *config.Env) {
		e.LeaseSessionTimeout = "1s"
		// Far beyond the waits below: only the second instance's fence,
		// not the coordinator's timeout, can stop the first in time.
		e.KafkaTxnTimeout = "5m"
	})
	logA, logB := proctest.NewLog(t, "instance-a.log"), proctest.NewLog(t, "instance-b.log")
	envA, envB := s.env, s.env
	envA.BridgeInstanceID, envB.BridgeInstanceID = "instance-a", "instance-b"

	a := s.start(t, envA, logA)
	procWaitFor(t, time.Minute, "instance a to connect", func() bool { return s.g.Summary().Sockets > 0 })
	const calls = 80
	s.g.AddConversations(time.Now(), calls, 250*time.Millisecond)
	procWaitFor(t, time.Minute, "instance a to commit live events", func() bool { return s.events(t) >= 20 })

	a.Freeze(t)
	frozenAt := time.Now()
	known := s.channelsKnown(t)
	b := s.start(t, envB, logB)
	procWaitFor(t, time.Minute, "instance b to take over and commit what it reads live", func() bool { return s.liveFromNewChannel(t, known) })
	tookOver := time.Since(frozenAt)
	a.Thaw(t)
	procWaitFor(t, time.Minute, "instance a to stand by", func() bool { return logA.Has("stopped producing; standing by") })
	if !logA.Has("fenced") {
		t.Errorf("instance a stood by, but not fenced:\n%s", logA.Tail(20))
	}
	report, _, _ := s.waitDone(t, calls, procDoneWithin)
	b.Stop(t)
	a.Stop(t)
	if logB.Has("stopped producing; standing by") {
		t.Errorf("instance b was pushed back by the resumed instance:\n%s", logB.Tail(20))
	}
	line := fmt.Sprintf("notifications frozen instance: b streamed live %s after a froze; %s; stand-in %+v",
		tookOver.Round(time.Millisecond), report, s.g.Summary())
	fmt.Println(line)
	t.Log(line)
}

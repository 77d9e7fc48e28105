package gcnotifications_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
)

// procMinDowntime is the least time a killed bridge stays down: long
// enough for whole calls (seconds at CallPace 0.05) to fall in it.
const procMinDowntime = 3 * time.Second

// procClear is how long before the restart a call of the downtime must
// have ended to be the downtime's alone: every back-filled interval is
// widened by GENESYS_EVENT_LATENCY on both sides, so the restarted epoch's
// own start gap reaches that far into the downtime; 2 s more of margin.
func procClear(t *testing.T, env config.Env) time.Duration {
	t.Helper()
	latency, err := time.ParseDuration(env.GenesysEventLatency)
	if err != nil {
		t.Fatalf("GENESYS_EVENT_LATENCY %q: %v", env.GenesysEventLatency, err)
	}
	return latency + 2*time.Second
}

// TestNotificationsKilledResumes SIGKILLs the real binary mid-stream, keeps
// it down while calls go on (what the stand-in publishes then is lost for
// it: nothing is buffered), and restarts it with the same
// BRIDGE_INSTANCE_ID. The restart must back-fill its own downtime from the
// checkpoint: every call ends up covered, by its detail events or a
// conversation-detail record, with no dedup key twice (read_committed),
// also once the checkpoint lists nothing left to back-fill. The downtime
// must have been a real gap: notifications were lost to the killed
// instance's channel, and the calls that began and ended while it was down
// (clear of the restart: procClear) are in the topic only as
// conversation-detail records back-filled for a gap. Both commit modes, as
// two bridges side by side, killed and restarted together.
func TestNotificationsKilledResumes(t *testing.T) {
	t.Parallel()
	bin := proctest.Build(t)
	modes := newProcModes(t, bin, genesys.Options{Seed: 31})
	g := modes[0].g
	margin := procClear(t, modes[0].env)
	logs := make([]*proctest.Log, len(modes))
	children := make([]*proctest.Child, len(modes))
	for i, s := range modes {
		logs[i] = proctest.NewLog(t, s.mode()+".log")
		children[i] = s.start(t, s.env, logs[i])
	}
	procWaitFor(t, time.Minute, "both bridges to connect", func() bool { return g.Summary().Sockets >= len(modes) })
	// Calls before the kill, and as many starting with it: the downtime
	// has calls of its own however long the first part took.
	const calls = 80
	g.AddConversations(time.Now(), calls/2, 250*time.Millisecond)
	for _, s := range modes {
		procWaitFor(t, time.Minute, s.mode()+" to commit live events", func() bool { return s.events(t) >= 20 })
	}

	for _, c := range children {
		c.Kill(t)
	}
	killedAt := time.Now()
	missedAtKill := g.Summary().Missed
	g.AddConversations(killedAt.Add(100*time.Millisecond), calls/2, 250*time.Millisecond)
	// Down until whole calls fell in the downtime, clear of its end: only
	// the back-fill of the downtime can cover those.
	procWaitFor(t, time.Minute, "a call to begin and end while the bridges are down", func() bool {
		now := time.Now()
		return now.Sub(killedAt) >= procMinDowntime && len(procWithin(g.Conversations(), killedAt, now.Add(-margin))) > 0
	})
	restartedAt := time.Now()
	for i, s := range modes {
		children[i] = s.start(t, s.env, logs[i])
	}
	lost := g.Summary().Missed - missedAtKill
	inDowntime := procWithin(g.Conversations(), killedAt, restartedAt.Add(-margin))
	if lost <= 0 {
		t.Errorf("no notification was lost while the bridges were down: the downtime was no gap")
	}
	for i, s := range modes {
		report, coveredAt, settledAt := s.waitDone(t, calls, procDoneWithin)
		children[i].Stop(t)
		line := fmt.Sprintf("notifications kill (%s): down %s, %d notification copies lost meanwhile (both bridges), %d calls wholly in the downtime (ended %s before the restart at least); "+
			"after the restart every call covered in %s, back-fill done in %s: %s",
			s.mode(), restartedAt.Sub(killedAt).Round(time.Millisecond), lost, len(inDowntime), margin,
			coveredAt.Sub(restartedAt).Round(time.Millisecond), settledAt.Sub(restartedAt).Round(time.Millisecond), report)
		fmt.Println(line)
		t.Log(line)
		if err := procGapFilled(s.records(t), inDowntime); err != nil {
			t.Errorf("%s: the downtime's calls: %v", s.mode(), err)
		}
	}
}

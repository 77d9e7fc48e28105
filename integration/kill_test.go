package integration_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

var (
	killCount = flag.Int("kills", 30, "SIGKILLs in TestKillRestartExactlyOnce (raise for a soak)")
	killSeed  = flag.Uint64("kill-seed", 1, "seed of the kill test's schedule")
)

// upstreamFault injects one of the first n of these connection faults,
// drawn from rng: a reset, a close, a half-open stall, socket_closing, and
// a close followed by a 429 on the reconnect.
func (h *harness) upstreamFault(rng *rand.Rand, n int) {
	switch rng.IntN(n) {
	case 0:
		h.sim.ResetConnections()
	case 1:
		h.sim.CloseConnections(1011, "injected fault")
	case 2:
		h.sim.Stall()
	case 3:
		h.sim.SocketClosing(0)
	case 4:
		h.sim.RefuseNext(1, 429, time.Second)
		h.sim.CloseConnections(1011, "injected fault")
	}
}

// TestKillRestartExactlyOnce runs the real binary, SIGKILLs it at seeded
// random moments (startup, lease wait, scan, mid-batch, mid-checkpoint:
// wherever the moment falls), injects upstream drops, resets and stalls in
// between, and requires every emitted event in Kafka exactly once.
func TestKillRestartExactlyOnce(t *testing.T) {
	bin := proctest.Build(t)
	// On the embedded broker, hold back a quarter of the produce answers for
	// longer than the lateness window: a kill then often lands between a
	// write and its acknowledgement, where a checkpoint taken too early
	// would skip events.
	cluster := kafkatest.Start(t)
	if cluster.Fake != nil {
		var mu sync.Mutex
		delays := rand.New(rand.NewPCG(*killSeed, 11))
		slow := &kafkatest.BrokerFaults{Delay: func(int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			if delays.IntN(4) > 0 {
				return 0
			}
			return time.Duration(400+delays.IntN(600)) * time.Millisecond
		}}
		cluster = embeddedCluster(t, kfake.ListenFn(slow.Listen))
	}
	h := newHarnessOn(t, cluster, sim.Config{Rate: 400, BatchSize: 20, Lateness: 300 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.LeaseSessionTimeout = "1s"
		e.IdleTimeout = "1s"
		e.PingInterval = "200ms"
	})
	log := proctest.NewLog(t, "bridge.log")

	rng := rand.New(rand.NewPCG(*killSeed, 7))
	kills, faults := 0, 0
	for kills < *killCount {
		c := proctest.Start(t, bin, h.env, log)
		life := time.Duration(100+rng.IntN(1400)) * time.Millisecond
		deadline := time.Now().Add(life)
		// Maybe one upstream fault during this life, at a random point.
		if rng.IntN(3) > 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(life))))
			h.upstreamFault(rng, 3)
			faults++
		}
		time.Sleep(time.Until(deadline))
		c.Kill(t)
		kills++
	}
	// Let one last bridge catch up with everything, then stop it cleanly.
	h.sim.Pause()
	last := proctest.Start(t, bin, h.env, log)
	want := len(h.sim.Ledger())
	t.Cleanup(func() {
		if t.Failed() {
			rep := h.verify(h.records())
			t.Logf("ledger: %d, report: %s %v", want, rep, rep.Examples)
		}
	})
	h.waitOurs(want)
	last.Stop(t)

	rep := h.verify(h.records())
	line := fmt.Sprintf("kill test: events=%d kills=%d faults=%d lost=%d duplicates=%d (unknown=%d out_of_order=%d)",
		rep.Events, kills, faults, rep.Lost, rep.Duplicates, rep.Unknown, rep.OutOfOrder)
	fmt.Println(line)
	t.Log(line)
	requireExactlyOnce(t, rep)
}

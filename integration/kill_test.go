package integration_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

var (
	killCount = flag.Int("kills", 30, "SIGKILLs in TestKillRestartExactlyOnce (raise for a soak)")
	killSeed  = flag.Uint64("kill-seed", 1, "seed of the kill test's schedule")
)

// buildBridge compiles the real binary once per test. Tests that run the
// binary are the slow ones: they are skipped in -short mode.
func buildBridge(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real binary: skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "analytics-bridge")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/analytics-bridge/analytics-bridge")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the bridge: %v\n%s", err, out)
	}
	return bin
}

// childLog creates the log file of the bridge processes a test starts (in
// KILL_TEST_LOG_DIR when set, to keep it) and, when the test fails, logs
// its tail. It returns the file and its path.
func childLog(t testing.TB, name string) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if dir := os.Getenv("KILL_TEST_LOG_DIR"); dir != "" {
		path = filepath.Join(dir, name)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		if t.Failed() {
			t.Logf("%s tail:\n%s", name, logTail(path, 60))
		}
	})
	return f, path
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// runCommand runs the binary with env and args to completion, as an
// operator runs a subcommand, and returns its output and exit status.
func runCommand(t *testing.T, bin string, env config.Env, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env.Environ()...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("running %s %v: %v", bin, args, err)
	}
	return string(out), 0
}

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

type child struct {
	cmd *exec.Cmd
}

// startChild runs the bridge binary with env, and extra variables beside
// it (the AWS SDK's, for the sqs source: sqstest.Credentials). A child logs
// JSON at info level to logFile (tests read those lines) and serves no
// HTTP endpoint (several children share the host).
func startChild(t testing.TB, bin string, env config.Env, logFile *os.File, extra ...string) *child {
	t.Helper()
	env.LogLevel, env.LogFormat, env.HTTPAddr = "info", "json", ""
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, env.Environ()...), extra...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the bridge: %v", err)
	}
	c := &child{cmd: cmd}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return c
}

func (c *child) kill(t testing.TB) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
}

// stop sends SIGTERM and requires a clean exit.
func (c *child) stop(t testing.TB) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("bridge exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(waitLimit):
		_ = c.cmd.Process.Kill()
		t.Fatal("bridge ignored SIGTERM")
	}
}

// TestKillRestartExactlyOnce runs the real binary, SIGKILLs it at seeded
// random moments (startup, lease wait, scan, mid-batch, mid-checkpoint:
// wherever the moment falls), injects upstream drops, resets and stalls in
// between, and requires every emitted event in Kafka exactly once.
func TestKillRestartExactlyOnce(t *testing.T) {
	bin := buildBridge(t)
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
	logFile, _ := childLog(t, "bridge.log")

	rng := rand.New(rand.NewPCG(*killSeed, 7))
	kills, faults := 0, 0
	for kills < *killCount {
		c := startChild(t, bin, h.env, logFile)
		life := time.Duration(100+rng.IntN(1400)) * time.Millisecond
		deadline := time.Now().Add(life)
		// Maybe one upstream fault during this life, at a random point.
		if rng.IntN(3) > 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(life))))
			h.upstreamFault(rng, 3)
			faults++
		}
		time.Sleep(time.Until(deadline))
		c.kill(t)
		kills++
	}
	// Let one last bridge catch up with everything, then stop it cleanly.
	h.sim.Pause()
	last := startChild(t, bin, h.env, logFile)
	want := len(h.sim.Ledger())
	t.Cleanup(func() {
		if t.Failed() {
			rep := h.verify(h.records())
			t.Logf("ledger: %d, report: %s %v", want, rep, rep.Examples)
		}
	})
	h.waitOurs(want)
	last.stop(t)

	rep := h.verify(h.records())
	line := fmt.Sprintf("kill test: events=%d kills=%d faults=%d lost=%d duplicates=%d (unknown=%d out_of_order=%d)",
		rep.Events, kills, faults, rep.Lost, rep.Duplicates, rep.Unknown, rep.OutOfOrder)
	fmt.Println(line)
	t.Log(line)
	requireExactlyOnce(t, rep)
}

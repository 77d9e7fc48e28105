package proctest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// script writes an executable shell script standing in for the binary: it
// prints its BRIDGE_NAME and the extra variable, ticks every 50 ms while
// running, and exits 0 on SIGTERM.
func script(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-bridge")
	body := `#!/bin/sh
trap 'echo terminated; exit 0' TERM
echo "name=$BRIDGE_NAME extra=$EXTRA level=$LOG_LEVEL"
while :; do echo tick; sleep 0.05; done
`
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// lines counts the log's lines.
func lines(l *Log) int {
	b, _ := os.ReadFile(l.Path)
	return strings.Count(string(b), "\n")
}

// state is the process's state letter in /proc (T: stopped).
func state(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	// pid (comm) state ...: comm may hold spaces, not ")".
	if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
		return string(b[i+2])
	}
	return ""
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestChildEnvironmentAndStop(t *testing.T) {
	log := NewLog(t, "child.log")
	env := config.Defaults()
	env.BridgeName = "proctest-bridge"
	env.LogLevel = "warn"
	c := Start(t, script(t), env, log, "EXTRA=beside")
	waitUntil(t, "the child to tick", func() bool { return log.Has("tick") })
	if !log.Has("name=proctest-bridge extra=beside level=info") {
		t.Errorf("the child saw another environment:\n%s", log.Tail(3))
	}
	c.Stop(t)
	if !log.Has("terminated") || c.ExitCode() != 0 {
		t.Errorf("after Stop: exit %d, log:\n%s", c.ExitCode(), log.Tail(3))
	}
}

func TestChildFreezeThawKill(t *testing.T) {
	log := NewLog(t, "child.log")
	c := Start(t, script(t), config.Defaults(), log)
	waitUntil(t, "the child to tick", func() bool { return log.Has("tick") })
	c.Freeze(t)
	waitUntil(t, "the child stopped", func() bool { return state(c.Pid()) == "T" })
	// A stopped child writes nothing: the count holds across ten of its
	// ticks.
	frozen := lines(log)
	time.Sleep(500 * time.Millisecond)
	if n := lines(log); n != frozen {
		t.Errorf("a frozen child wrote %d lines", n-frozen)
	}
	c.Thaw(t)
	waitUntil(t, "the thawed child to tick again", func() bool { return lines(log) > frozen })
	c.Kill(t)
	select {
	case <-c.Exited():
	default:
		t.Fatal("Kill returned before the child exited")
	}
	if c.ExitCode() != -1 {
		t.Errorf("a killed child's exit code %d, want -1 (a signal)", c.ExitCode())
	}
	c.Kill(t) // a second kill of an exited child is harmless
}

func TestLogTail(t *testing.T) {
	log := NewLog(t, "tail.log")
	if _, err := log.File.WriteString("one\ntwo\nthree\n"); err != nil {
		t.Fatal(err)
	}
	if got := log.Tail(2); got != "two\nthree" {
		t.Errorf("Tail(2) = %q", got)
	}
	if !log.Has("two") || log.Has("four") {
		t.Error("Has is wrong")
	}
}

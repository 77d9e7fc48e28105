package proctest

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// Child is one running bridge process.
//
// Goroutines: one waits for the process to exit; the test's cleanup kills
// the process if it still runs and waits for that goroutine.
type Child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited and been reaped
	err    error         // cmd.Wait's answer, set before exited is closed
}

// Start runs the bridge binary bin with env, and extra variables beside it
// (the AWS SDK's for the sqs source: sqstest.Credentials). A child logs
// JSON at info level to log (tests read those lines) and serves no HTTP
// endpoint (several children share the host). It is killed, if it still
// runs, when t ends.
func Start(t testing.TB, bin string, env config.Env, log *Log, extra ...string) *Child {
	t.Helper()
	env.LogLevel, env.LogFormat, env.HTTPAddr = "info", "json", ""
	cmd := exec.Command(bin)
	cmd.Env = environ(env, extra)
	cmd.Stdout, cmd.Stderr = log.File, log.File
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the bridge: %v", err)
	}
	c := &Child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = c.signal(syscall.SIGKILL)
		<-c.exited
	})
	return c
}

// signal sends sig unless the process has exited (its pid may be reused
// once reaped).
func (c *Child) signal(sig syscall.Signal) error {
	select {
	case <-c.exited:
		return nil
	default:
		return c.cmd.Process.Signal(sig)
	}
}

// Pid is the process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Kill sends SIGKILL and waits until the process is gone.
func (c *Child) Kill(t testing.TB) {
	t.Helper()
	_ = c.signal(syscall.SIGKILL)
	<-c.exited
}

// Stop sends SIGTERM and requires a clean exit (status 0) within
// StopWithin; a child that ignores it is killed and fails t.
func (c *Child) Stop(t testing.TB) {
	t.Helper()
	_ = c.signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		if c.err != nil {
			t.Errorf("bridge exited with %v after SIGTERM, want status 0", c.err)
		}
	case <-time.After(StopWithin):
		c.Kill(t)
		t.Fatal("bridge ignored SIGTERM")
	}
}

// Freeze stops the process where it is (SIGSTOP), as a paused container or
// a long GC pause does: its connections stay open.
func (c *Child) Freeze(t testing.TB) {
	t.Helper()
	if err := c.signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("freezing the bridge: %v", err)
	}
}

// Thaw resumes a frozen process (SIGCONT).
func (c *Child) Thaw(t testing.TB) {
	t.Helper()
	if err := c.signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resuming the bridge: %v", err)
	}
}

// Exited is closed once the process has exited.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// ExitCode is the process's exit status once Exited is closed (-1 when a
// signal ended it, or before it exited).
func (c *Child) ExitCode() int {
	select {
	case <-c.exited:
		return c.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

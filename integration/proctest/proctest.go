// Package proctest runs the real analytics-bridge binary for process-level
// tests: it builds the binary, starts it as child processes with a
// config.Env, SIGKILLs, freezes (SIGSTOP/SIGCONT) and stops (SIGTERM)
// them, runs its subcommands, and keeps the children's logs (printing
// their tail when a test fails).
//
// Every source's process tests share it (the integration package's, and
// those of a source's own end-to-end package), so that a kill or a freeze
// means the same thing in each.
//
// It is a test kit: production packages do not import it.
package proctest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// StopWithin is how long Stop waits for a child to exit after SIGTERM.
const StopWithin = 90 * time.Second

// Build compiles the bridge's binary into t's temporary directory and
// returns its path. Go's build cache makes every build after the first
// take a link (seconds). Tests that run the binary are the slow ones: in
// -short mode Build skips t.
func Build(t testing.TB) string {
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

// environ is what a child of env sees: PATH, env's variables and extra.
func environ(env config.Env, extra []string) []string {
	return append(append([]string{"PATH=" + os.Getenv("PATH")}, env.Environ()...), extra...)
}

// Run runs the binary with env and args to completion, as an operator runs
// a subcommand, and returns its combined output and exit status.
func Run(t testing.TB, bin string, env config.Env, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = environ(env, nil)
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

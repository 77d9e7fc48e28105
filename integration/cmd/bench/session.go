package main

// What the throughput mode (main.go) and the latency mode (latency.go)
// share when they run: the temporary directory, the bridge binary, the
// cluster and the bridge child processes.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// session is the state every run of a mode shares.
type session struct {
	stderr  io.Writer
	tmp     string
	brokers []string
	real    bool
	bridge  string // binary
	runID   string
	kids    *children
}

// setupInfo is what a report says of the command and its setup.
type setupInfo struct {
	command     string
	machine     string
	kafka       string
	bridgeBuild string
	realBroker  bool
}

// newSetupInfo describes the command line (args, after the command's
// name) and the machine.
func newSetupInfo(args []string) setupInfo {
	info := setupInfo{
		command: "go run ./integration/cmd/bench" + quoteArgs(args),
		machine: machineInfo(),
	}
	if env := os.Getenv("KAFKA_BROKERS"); env != "" {
		info.command = "KAFKA_BROKERS=" + env + " " + info.command
	}
	return info
}

// setup makes the temporary directory (named after tmpPrefix), gets the
// bridge binary (bridgeBin, or a build of the module root, unless
// withBridge is false) and the cluster (KAFKA_BROKERS, or an embedded
// broker), and describes them in info. The returned cleanup stops the
// embedded broker and removes the temporary directory, unless keep()
// then, when it is called, says to keep it. On an error, setup cleans up
// itself.
func (s *session) setup(ctx context.Context, tmpPrefix, bridgeBin string, withBridge bool, keep func() bool, info *setupInfo) (cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", tmpPrefix)
	if err != nil {
		return nil, err
	}
	s.tmp = tmp
	var closeBroker func()
	cleanup = func() {
		if closeBroker != nil {
			closeBroker()
		}
		if keep() {
			fmt.Fprintf(s.stderr, "bench: logs kept in %s\n", tmp)
			return
		}
		_ = os.RemoveAll(tmp)
	}
	defer func() {
		if err != nil {
			cleanup()
			cleanup = nil
		}
	}()

	// The bridge binary, built as a user builds it.
	if withBridge {
		if bridgeBin != "" {
			s.bridge, info.bridgeBuild = bridgeBin, "prebuilt "+bridgeBin
		} else {
			bin, desc, err := buildBridge(ctx, tmp)
			if err != nil {
				return nil, err
			}
			s.bridge, info.bridgeBuild = bin, desc
		}
	}

	// The cluster.
	if env := strings.TrimSpace(os.Getenv("KAFKA_BROKERS")); env != "" {
		s.real, s.brokers = true, config.SplitList(env)
		info.kafka = "real cluster KAFKA_BROKERS=" + env
		info.realBroker = true
	} else {
		fake, err := kafkatest.StartEmbedded()
		if err != nil {
			return nil, fmt.Errorf("starting the embedded broker: %w", err)
		}
		closeBroker = fake.Close
		s.brokers = fake.ListenAddrs()
		info.kafka = "embedded kfake in the bench process, " + strings.Join(s.brokers, ",")
	}
	if err := checkCluster(ctx, s.brokers); err != nil {
		return nil, err
	}
	return cleanup, nil
}

// name is a fresh topic or bridge name for run i of a kind of run.
func (s *session) name(kind string, i int) string {
	return fmt.Sprintf("bench-%s-%s-%d", s.runID, kind, i)
}

// txnKind names a KAFKA_TRANSACTIONS mode in topic and bridge names.
func txnKind(txn bool) string {
	if txn {
		return "txn"
	}
	return "notxn"
}

// bridgeProc is a bridge child process, logging to <tmp>/<name>.log.
type bridgeProc struct {
	*proc // nil until started
	name  string
	log   string
	file  *os.File
	exit  string // how it ended, once terminated
}

// newBridge creates the log of the bridge called name; stop closes it.
func (s *session) newBridge(name string) (*bridgeProc, error) {
	path := filepath.Join(s.tmp, name+".log")
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &bridgeProc{name: name, log: path, file: f}, nil
}

// start starts the bridge binary with PATH, env and then extra (the
// -bridge-env settings) as its environment.
func (b *bridgeProc) start(s *session, env, extra []string) error {
	cmd := exec.Command(s.bridge)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, env...), extra...)
	cmd.Stdout, cmd.Stderr = b.file, b.file
	pr, err := s.kids.start(cmd)
	if err != nil {
		return err
	}
	b.proc = pr
	return nil
}

// terminate stops the bridge (proc.terminate) and returns how it ended.
func (b *bridgeProc) terminate(grace time.Duration) string {
	return b.terminateVia(b.pid(), grace)
}

// terminateVia stops the bridge whose process is pid, under the child
// (proc.terminateVia), and returns how it ended.
func (b *bridgeProc) terminateVia(pid int, grace time.Duration) string {
	b.exit = b.proc.terminateVia(pid, grace)
	return b.exit
}

// stop kills the bridge unless it was terminated or exited, and closes its
// log.
func (b *bridgeProc) stop() {
	if b.proc != nil && b.exit == "" && !b.exited() {
		b.kill()
	}
	b.file.Close()
}

// failure is an error about the bridge, with the tail of its log.
func (b *bridgeProc) failure(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return fmt.Errorf("%s (bridge %s, log %s):\n%s", msg, b.name, b.log, tail(readFile(b.log), 15))
}

package main

// The sqs mode's bridge side: the bridge binary with SOURCE=sqs on a
// filled queue, timed like the raw loop (the queue's drain: a message is
// deleted only once its record is committed), then read back, off the
// clock, by a read_committed consumer counting distinct (topicName,
// eventBody) pairs. Under /usr/bin/time -v (-time-v) the peak RSS is also
// the kernel's account of the finished process.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// sqsBridgeEnv is the bridge's environment for a queue: the production
// defaults and what a user sets for SOURCE=sqs.
func (b *sqsBench) sqsBridgeEnv(name string, q benchQueue, txn bool) []string {
	o := b.opts
	env := config.Defaults()
	env.Source = string(config.SourceSQS)
	env.SQSQueueURL, env.SQSEndpointURL, env.AWSRegion = q.url, b.target.endpoint, "us-east-1"
	env.SQSReceivers = strconv.Itoa(o.receivers)
	env.SQSMaxMessages = strconv.Itoa(o.maxMessages)
	env.SQSWaitTime = strconv.Itoa(o.waitSeconds) + "s"
	env.DedupMaxKeys = strconv.Itoa(o.maxKeys)
	env.KafkaBrokers = strings.Join(b.brokers, ",")
	env.KafkaTopic, env.CheckpointTopic = name+".events", name+".checkpoints"
	env.BridgeName, env.BridgeInstanceID = name, name+"-1"
	env.KafkaReplication = "1"
	env.KafkaTransactions = strconv.FormatBool(txn)
	env.HTTPAddr = ""
	env.LogLevel, env.LogFormat = "info", "json"
	return append(env.Environ(), sqstest.Credentials...)
}

// runBridgeSQS runs the bridge on a filled queue until it is empty, reads
// the topic back and measures the process.
func (b *sqsBench) runBridgeSQS(ctx context.Context, q benchQueue, txn bool, i int) sqsResult {
	o := b.opts
	name := b.name("sqs-"+txnKind(txn), i)
	environ := b.sqsBridgeEnv(name, q, txn)
	if !o.keep {
		defer deleteTopics(b.brokers, name+".events", name+".events.dlq", name+".checkpoints")
	}
	pprofAddr := ""
	if o.profileDir != "" {
		addr, err := freeAddr()
		if err != nil {
			return sqsResult{err: err}
		}
		pprofAddr = addr
		environ = append(environ, "HTTP_ADDR="+addr, "PPROF_ENABLED=true")
	}
	br, err := b.newBridge(name)
	if err != nil {
		return sqsResult{err: err}
	}
	defer br.stop()
	started := time.Now()
	bridgePID, err := b.startSQSBridge(br, environ)
	if err != nil {
		return sqsResult{err: err}
	}
	profNote := make(chan string, 1)
	if pprofAddr != "" {
		go func() { profNote <- b.profile(ctx, pprofAddr, filepath.Join(o.profileDir, name+".cpu.pb.gz")) }()
	}
	clock, err := b.target.watch(ctx, q.name, q.url, o.messages, o.poll, func() error {
		if br.exited() {
			return br.failure("the bridge exited before the queue was empty (%v)", br.err)
		}
		return nil
	})
	if err != nil {
		return sqsResult{err: err}
	}
	cpu, _ := cpuTime(bridgePID)
	hwm, _, _ := memStatus(strconv.Itoa(bridgePID))
	res := newSQSResult(o.messages, clock)
	res.hwmKiB, res.cpu = hwm, cpu

	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	rep, readErr := sqstest.Verdict(rctx, &kafkatest.Cluster{Brokers: b.brokers, Real: b.real}, name+".events", b.ledger)
	cancel()
	profile := ""
	if pprofAddr != "" {
		profile = <-profNote
	}
	// SIGTERM to the bridge itself: /usr/bin/time reports once it exits.
	exit := br.terminateVia(bridgePID, 30*time.Second)
	var d strings.Builder
	fmt.Fprintf(&d, "start→first delete %s; VmHWM %s, CPU %.2f µs/message over the process's life until drained",
		clock.first.Sub(started).Round(time.Millisecond), mib(hwm), float64(cpu.Nanoseconds())/1e3/float64(o.messages))
	if tv, ok := readTimeV(br.log); ok {
		res.timeVKiB = tv.maxRSSKiB
		fmt.Fprintf(&d, "\n      /usr/bin/time -v: maximum resident set size %s, user %.2fs, system %.2fs (the whole life, shutdown included)",
			mib(tv.maxRSSKiB), tv.user, tv.system)
	}
	switch {
	case readErr != nil:
		res.err = br.failure("reading the topic back: %v", readErr)
	case !rep.ExactlyOnce():
		res.err = br.failure("not exactly once: %+v", rep)
	default:
		fmt.Fprintf(&d, "\n      read back (read_committed): %d distinct events of %d, %d duplicates", rep.Distinct, rep.Expected, rep.Duplicates)
	}
	if profile != "" {
		fmt.Fprintf(&d, "\n      %s", profile)
	}
	logNote(&d, exit, br.log)
	res.note = d.String()
	return res
}

// startSQSBridge starts the bridge (under /usr/bin/time -v with -time-v)
// and returns the bridge's own pid.
func (b *sqsBench) startSQSBridge(br *bridgeProc, environ []string) (int, error) {
	if !b.opts.timeV {
		if err := br.start(b.session, environ, b.opts.bridgeEnv); err != nil {
			return 0, err
		}
		return br.pid(), nil
	}
	// The bridge dies with time, as time does with the bench (setpriv,
	// where there is one: a SIGKILL of the bench must not leave a bridge).
	args := []string{"-v", b.bridge}
	if setpriv, err := exec.LookPath("setpriv"); err == nil {
		args = []string{"-v", setpriv, "--pdeathsig", "KILL", "--", b.bridge}
	}
	cmd := exec.Command("/usr/bin/time", args...)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, environ...), b.opts.bridgeEnv...)
	cmd.Stdout, cmd.Stderr = br.file, br.file
	pr, err := b.kids.start(cmd)
	if err != nil {
		return 0, err
	}
	br.proc = pr
	// The bridge is time's only child (setpriv execs it).
	path := fmt.Sprintf("/proc/%d/task/%d/children", pr.pid(), pr.pid())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		raw, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("finding the bridge under /usr/bin/time: %w", err)
		}
		if f := strings.Fields(string(raw)); len(f) > 0 {
			return strconv.Atoi(f[0])
		}
	}
	return 0, fmt.Errorf("no bridge process under /usr/bin/time (pid %d) after 10s", pr.pid())
}

// timeV is what /usr/bin/time -v reported.
type timeV struct {
	maxRSSKiB    int64
	user, system float64
}

// readTimeV reads /usr/bin/time -v's report at the end of a log.
func readTimeV(path string) (timeV, bool) {
	f, err := os.Open(path)
	if err != nil {
		return timeV{}, false
	}
	defer f.Close()
	var tv timeV
	found := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		switch k {
		case "Maximum resident set size (kbytes)":
			tv.maxRSSKiB, _ = strconv.ParseInt(v, 10, 64)
			found = true
		case "User time (seconds)":
			tv.user, _ = strconv.ParseFloat(v, 64)
		case "System time (seconds)":
			tv.system, _ = strconv.ParseFloat(v, 64)
		}
	}
	return tv, found
}

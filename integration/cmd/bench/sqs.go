package main

// The sqs mode (go run ./integration/cmd/bench -sqs): the bridge with
// SOURCE=sqs beside a raw receive-and-delete loop, on the same SQS server
// (the in-repo stand-in over loopback HTTP, or SQS_TEST_ENDPOINT) and the
// same generated Genesys EventBridge events, with the same SQS_RECEIVERS,
// SQS_MAX_MESSAGES and SQS_WAIT_TIME; interleaved, each run a fresh
// process on a fresh queue. Both are timed alike: from the first poll of
// the queue that sees a message deleted to the first that sees it empty.
// The bridge writes to the embedded broker in this process, or
// KAFKA_BROKERS.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
)

// sqsOptions are the sqs mode's flags.
type sqsOptions struct {
	messages    int
	runs        int
	receivers   int
	maxMessages int
	waitSeconds int
	visibility  int
	maxKeys     int
	modes       []string
	poll        time.Duration
	timeout     time.Duration
	timeV       bool
	profileDir  string
	profileFor  time.Duration
	bridgeBin   string
	bridgeEnv   []string
	keep        bool
}

func parseSQSFlags(args []string, stderr io.Writer) (sqsOptions, error) {
	fs := flag.NewFlagSet("bench -sqs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o sqsOptions
	var modes string
	var env stringList
	fs.Bool("sqs", true, "this mode")
	fs.IntVar(&o.messages, "messages", 50000, "messages on the queue at the start of each run")
	fs.IntVar(&o.runs, "runs", 5, "runs of each side, interleaved; medians and the median of the per-run ratios are reported")
	fs.IntVar(&o.receivers, "receivers", 4, "SQS_RECEIVERS of the bridge, and the raw loop's goroutines")
	fs.IntVar(&o.maxMessages, "max-messages", 10, "SQS_MAX_MESSAGES of both sides")
	fs.IntVar(&o.waitSeconds, "wait", 1, "SQS_WAIT_TIME of both sides, seconds")
	fs.IntVar(&o.visibility, "visibility", 2, "VisibilityTimeout of every queue, seconds: a message whose ReceiveMessage response is lost comes back after it")
	fs.IntVar(&o.maxKeys, "dedup-max-keys", 200000, "DEDUP_MAX_KEYS of the bridge (22.3 bytes each, taken at start)")
	fs.StringVar(&modes, "modes", "true", "KAFKA_TRANSACTIONS values to run the bridge with")
	fs.DurationVar(&o.poll, "poll", 0, "how often the queue is polled (default: 5ms on the stand-in, 100ms with SQS_TEST_ENDPOINT, where each poll is a GetQueueAttributes call)")
	fs.DurationVar(&o.timeout, "timeout", 0, "bound on each run (0: 2m plus 1ms per message)")
	_, noTime := os.Stat("/usr/bin/time")
	fs.BoolVar(&o.timeV, "time-v", noTime == nil, "run the bridge under /usr/bin/time -v and report its maximum resident set size (default: when /usr/bin/time is there)")
	fs.StringVar(&o.profileDir, "cpu-profile", "", "directory to save a CPU profile of each bridge run in (PPROF_ENABLED=true on a loopback HTTP_ADDR)")
	fs.DurationVar(&o.profileFor, "cpu-profile-for", 5*time.Second, "length of each CPU profile, from one second after the bridge starts")
	bridgeFlags(fs, &o.bridgeBin, &env, &o.keep, "GOGC=200")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./integration/cmd/bench -sqs [flags]\n\nMeasures the bridge with SOURCE=sqs beside a raw receive-and-delete loop on the same SQS server:\nthe in-repo stand-in over loopback HTTP, or SQS_TEST_ENDPOINT (moto_server).\nKAFKA_BROKERS=host:port,... uses a real cluster instead of the embedded broker.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return o, err
	}
	o.modes, o.bridgeEnv = config.SplitList(modes), env
	var bad problems
	bad.positive("-messages", o.messages)
	bad.positive("-runs", o.runs)
	bad.positive("-receivers", o.receivers)
	if o.maxMessages < 1 || o.maxMessages > 10 {
		bad.add("-max-messages %d: must be 1..10", o.maxMessages)
	}
	if o.waitSeconds < 0 || o.waitSeconds > 20 {
		bad.add("-wait %d: must be 0..20", o.waitSeconds)
	}
	if o.visibility < 1 || o.visibility > 3600 {
		bad.add("-visibility %d: must be 1..3600 (DEDUP_WINDOW, 1h, must exceed it)", o.visibility)
	}
	if len(o.modes) == 0 {
		bad.add("-modes: empty")
	}
	bad.modes(o.modes)
	bad.bridgeEnv(o.bridgeEnv)
	if o.poll < 0 || o.profileFor <= 0 {
		bad.add("-poll must not be negative and -cpu-profile-for must be positive")
	}
	if o.poll == 0 {
		o.poll = 5 * time.Millisecond
		if os.Getenv("SQS_TEST_ENDPOINT") != "" {
			o.poll = 100 * time.Millisecond
		}
	}
	if o.timeV {
		if _, err := os.Stat("/usr/bin/time"); err != nil {
			bad.add("-time-v: /usr/bin/time is not there (install GNU time, or -time-v=false)")
		}
	}
	if err := bad.err(); err != nil {
		return o, err
	}
	if o.timeout <= 0 {
		o.timeout = 2*time.Minute + time.Duration(o.messages)*time.Millisecond
	}
	return o, nil
}

func sqsMain(args []string, stdout, stderr io.Writer) int {
	return runMode(args, stdout, stderr, parseSQSFlags, func(ctx context.Context, opts sqsOptions, s *session) (modeReport, error) {
		return (&sqsBench{session: s, opts: opts}).run(ctx, args)
	})
}

// sqsBench is the state every run of the sqs mode shares.
type sqsBench struct {
	*session
	opts   sqsOptions
	target *sqsTarget
	bodies []string
	ledger *eventbridge.Ledger
}

// benchQueue is a run's queue.
type benchQueue struct{ name, url string }

// sqsSide is one side of the comparison.
type sqsSide struct {
	label string
	run   func(ctx context.Context, q benchQueue, i int) sqsResult
}

// run prepares the server, the workload and the cluster, runs every side
// -runs times, interleaved, and returns the report.
func (b *sqsBench) run(ctx context.Context, args []string) (modeReport, error) {
	o := b.opts
	rep := &sqsReport{setupInfo: newSetupInfo(args), opts: o, loadStart: loadAverage()}
	if env := os.Getenv("SQS_TEST_ENDPOINT"); env != "" {
		rep.command = "SQS_TEST_ENDPOINT=" + env + " " + rep.command
	}
	cleanup, err := b.setup(ctx, "analytics-bridge-bench-sqs-", o.bridgeBin, true, func() bool { return o.keep || rep.failed() }, &rep.setupInfo)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if b.target, err = startSQSTarget(); err != nil {
		return nil, err
	}
	defer func() { _ = b.target.stop() }()
	rep.sqs = b.target.desc

	b.bodies, b.ledger, rep.sizes = workload(o.messages)
	sides := []sqsSide{{label: fmt.Sprintf("raw receive + DeleteMessageBatch loop, %d goroutines", o.receivers), run: func(ctx context.Context, q benchQueue, _ int) sqsResult {
		return b.runRawSQS(ctx, q)
	}}}
	for _, m := range o.modes {
		txn, _ := strconv.ParseBool(m)
		sides = append(sides, sqsSide{label: "bridge SOURCE=sqs, KAFKA_TRANSACTIONS=" + m, run: func(ctx context.Context, q benchQueue, i int) sqsResult {
			return b.runBridgeSQS(ctx, q, txn, i)
		}})
	}
	rep.sides = sides
	rep.results = make([][]sqsResult, len(sides))
	for i := range o.runs {
		for k := range sides {
			j := (k + i) % len(sides) // each side goes first in turn
			if err := ctx.Err(); err != nil {
				return rep, fmt.Errorf("interrupted: %w", err)
			}
			res := b.runOnQueue(ctx, sides[j], j, i+1)
			rep.results[j] = append(rep.results[j], res)
			fmt.Fprintf(b.stderr, "bench: run %d/%d %s: %s\n", i+1, o.runs, sides[j].label, res.brief())
		}
	}
	rep.loadEnd = loadAverage()
	return rep, nil
}

// runOnQueue fills a fresh queue and runs a side on it.
func (b *sqsBench) runOnQueue(ctx context.Context, side sqsSide, j, i int) sqsResult {
	q := benchQueue{name: fmt.Sprintf("bench-%s-%d-%d", b.runID, j, i)}
	var err error
	if q.url, err = b.target.create(ctx, q.name, b.opts.visibility); err != nil {
		return sqsResult{err: err}
	}
	if err := b.target.fill(ctx, q.name, q.url, b.bodies); err != nil {
		return sqsResult{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.timeout)
	defer cancel()
	meter, redelivered := startLoad(), b.target.redelivered()
	res := side.run(ctx, q, i)
	res.others = meter.others()
	res.redelivered = -1
	if redelivered >= 0 {
		res.redelivered = b.target.redelivered() - redelivered
	}
	return res
}

// workload generates n Genesys EventBridge events (no resends: every
// message a distinct event) and their ledger.
func workload(n int) ([]string, *eventbridge.Ledger, sizeStats) {
	g := eventbridge.New(eventbridge.Options{Seed: 1})
	ledger := eventbridge.NewLedger()
	bodies := make([]string, 0, n)
	sizes := sizeStats{min: 1 << 30}
	total := 0
	for len(bodies) < n {
		for _, e := range g.Stream(100) {
			if len(bodies) == n {
				break
			}
			bodies = append(bodies, string(e.Body))
			ledger.Add(e.TopicName, e.EventBody)
			sizes.min, sizes.max, total = min(sizes.min, len(e.Body)), max(sizes.max, len(e.Body)), total+len(e.Body)
		}
	}
	sizes.mean = float64(total) / float64(n)
	return bodies, ledger, sizes
}

// profile saves a CPU profile of the bridge at addr, from a second after
// its start, and says where.
func (b *sqsBench) profile(ctx context.Context, addr, path string) string {
	select {
	case <-ctx.Done():
		return "CPU profile: interrupted"
	case <-time.After(time.Second):
	}
	secs := int(b.opts.profileFor / time.Second)
	return saveProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(secs, 1)), path,
		b.opts.profileFor+30*time.Second, fmt.Sprintf("CPU profile (%ds from 1s after the start)", max(secs, 1)))
}

// wantsSQS reports whether args select the sqs mode.
func wantsSQS(args []string) bool { return wantsFlag(args, "sqs") }

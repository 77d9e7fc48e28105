// Command bench measures the bridge beside the physical limits of its two
// ends, in one run and on the same generated events:
//
//	a   the raw WebSocket read: a minimal github.com/coder/websocket client
//	    reads the simulator's backlog and splits the frames into events
//	    (one row with encoding/json, one with gjson);
//	b   the raw produce of the same records (same keys, values, headers and
//	    partitions) with kafka-go, acks=all, lz4, to a fresh topic with the
//	    same partition count (one row with kafka.Writer, one with
//	    kafka.Client.Produce: one request in flight per partition);
//	c   the bridge binary, built from this checkout and run as a user runs
//	    it (a child process configured only by environment variables),
//	    draining the same backlog, with KAFKA_TRANSACTIONS=true and false;
//	d   the bridge process's peak RSS (VmHWM) and CPU per event
//	    ((utime+stime) / events), beside the same figures of a and b.
//
// Every row is a fresh process (re-executing this binary for a and b) with
// fresh topics and, for the bridge, a fresh BRIDGE_NAME; each row runs -runs
// times, interleaved, and the median is reported. The simulator (with the
// whole backlog generated before any reader connects) and, by default, an
// embedded Kafka-protocol broker (franz-go's kfake) live in this process;
// KAFKA_BROKERS names a real cluster instead.
//
//	go run ./integration/cmd/bench
//	KAFKA_BROKERS=127.0.0.1:9092 go run ./integration/cmd/bench -events 500000
//
// With -latency it measures latency instead (latency.go): the bridge at a
// steady live rate, from the upstream's send of each event to the broker's
// append and to a read_committed consumer, as percentiles:
//
//	KAFKA_BROKERS=127.0.0.1:9092 go run ./integration/cmd/bench -latency [-rate 5000] [-duration 60s]
//
// With -sqs it measures the bridge with SOURCE=sqs beside a raw
// receive-and-delete loop on the same SQS server (sqs.go): the in-repo
// stand-in over loopback HTTP, or SQS_TEST_ENDPOINT:
//
//	go run ./integration/cmd/bench -sqs [-messages 50000] [-runs 5] [-receivers 4]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		os.Exit(childMain(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == sqsChildArg {
		os.Exit(sqsChildMain(os.Args[2:]))
	}
	if wantsSQS(os.Args[1:]) {
		os.Exit(sqsMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	if wantsLatency(os.Args[1:]) {
		os.Exit(latencyMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(benchMain(os.Args[1:], os.Stdout, os.Stderr))
}

// modeReport is what a mode prints.
type modeReport interface {
	print(w io.Writer)
	failed() bool
}

// runMode runs one of the command's modes: it parses the flags with parse,
// runs run under a context that SIGINT and SIGTERM cancel, prints the
// report (also a partial one, beside an error) and returns the exit code:
// 0, 1 when the mode failed, 2 for bad flags.
func runMode[O any](args []string, stdout, stderr io.Writer,
	parse func([]string, io.Writer) (O, error),
	run func(context.Context, O, *session) (modeReport, error),
) int {
	opts, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s := &session{stderr: stderr, kids: newChildren(), runID: time.Now().UTC().Format("20060102-150405")}
	defer s.kids.killAll()
	rep, err := run(ctx, opts, s)
	if rep != nil {
		rep.print(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if rep.failed() {
		return 1
	}
	return 0
}

// options are the command's flags.
type options struct {
	events      int
	eventBytes  int
	frame       int
	partitions  int
	runs        int
	modes       []string // KAFKA_TRANSACTIONS values
	raw         []string // raw row kinds
	compression string
	timeout     time.Duration
	poll        time.Duration
	settle      time.Duration
	bridgeBin   string
	bridgeEnv   []string
	keep        bool
	heapDir     string
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var modes, raw string
	var env stringList
	fs.IntVar(&o.events, "events", 200000, "events in the backlog")
	fs.IntVar(&o.eventBytes, "event-bytes", 504, "size of each event in bytes (0: as the simulator generates them, 543-626)")
	fs.IntVar(&o.frame, "frame", 100, "events per WebSocket frame")
	fs.IntVar(&o.partitions, "partitions", 6, "partitions of every output topic")
	fs.IntVar(&o.runs, "runs", 3, "runs of each row, each in fresh processes; the median is reported")
	fs.StringVar(&modes, "modes", "true,false", "KAFKA_TRANSACTIONS values to run the bridge with (empty: no bridge rows)")
	fs.StringVar(&raw, "raw", strings.Join(rawKinds, ","), "raw rows to run (empty: none): "+strings.Join(rawKinds, ", "))
	fs.StringVar(&o.compression, "compression", string(config.CompressionLz4), "KAFKA_COMPRESSION for the bridge and the raw produce: none, gzip, snappy, lz4, zstd")
	fs.DurationVar(&o.timeout, "timeout", 0, "bound on each run (0: 2m plus 1ms per event)")
	fs.DurationVar(&o.poll, "poll", 20*time.Millisecond, "how often the bridge's topic end offsets, RSS and CPU are sampled")
	fs.DurationVar(&o.settle, "settle", 500*time.Millisecond, "how long the committed end offsets must stay still before the bridge's topic is read back")
	bridgeFlags(fs, &o.bridgeBin, &env, &o.keep, "KAFKA_MAX_IN_FLIGHT=50000")
	fs.StringVar(&o.heapDir, "heap-profile", "", "directory to save each bridge's heap profile in, taken once every event landed (runs the bridge with PPROF_ENABLED=true on a loopback HTTP_ADDR); read with go tool pprof")
	fs.Bool("latency", false, "measure latency at a steady live rate instead; its flags: -latency -h")
	fs.Bool("sqs", false, "measure SOURCE=sqs beside a raw receive-and-delete loop instead; its flags: -sqs -h")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./integration/cmd/bench [flags]\n\nMeasures the bridge beside a raw WebSocket read and a raw kafka-go produce of the same events.\nKAFKA_BROKERS=host:port,... uses a real cluster instead of the embedded broker.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return o, err
	}
	o.modes, o.raw, o.bridgeEnv = config.SplitList(modes), config.SplitList(raw), env
	var bad problems
	bad.positive("-events", o.events)
	if o.eventBytes < 0 {
		bad.add("-event-bytes %d: must not be negative", o.eventBytes)
	}
	bad.positive("-frame", o.frame)
	bad.positive("-partitions", o.partitions)
	bad.positive("-runs", o.runs)
	bad.modes(o.modes)
	for _, k := range o.raw {
		if _, ok := rawRows[k]; !ok {
			bad.add("-raw: %q is not one of %s", k, strings.Join(rawKinds, ", "))
		}
	}
	switch config.Compression(o.compression) {
	case config.CompressionNone, config.CompressionGzip, config.CompressionSnappy, config.CompressionLz4, config.CompressionZstd:
	default:
		bad.add("-compression %q: not one of none, gzip, snappy, lz4, zstd", o.compression)
	}
	bad.bridgeEnv(o.bridgeEnv)
	if o.poll <= 0 || o.settle < 0 {
		bad.add("-poll must be positive and -settle not negative")
	}
	if len(o.modes) == 0 && len(o.raw) == 0 {
		bad.add("nothing to run: -modes and -raw are both empty")
	}
	if err := bad.err(); err != nil {
		return o, err
	}
	if o.timeout <= 0 {
		o.timeout = 2*time.Minute + time.Duration(o.events)*time.Millisecond
	}
	return o, nil
}

// bridgeFlags defines the flags of the bridge runs both modes have:
// -bridge, -bridge-env (its usage's example being envExample) and -keep.
func bridgeFlags(fs *flag.FlagSet, bin *string, env *stringList, keep *bool, envExample string) {
	fs.StringVar(bin, "bridge", "", "bridge binary to run (default: go build of the module root into a temporary directory)")
	fs.Var(env, "bridge-env", "NAME=value added to the bridge's environment (repeatable), e.g. -bridge-env "+envExample)
	fs.BoolVar(keep, "keep", false, "keep the temporary directory (bridge logs) and the topics")
}

// parseArgs parses args with fs and refuses positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

// problems collects what is wrong with the flags, in order.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p *problems) positive(name string, v int) {
	if v < 1 {
		p.add("%s %d: must be positive", name, v)
	}
}

// modes reports the -modes values that are not true or false.
func (p *problems) modes(modes []string) {
	for _, m := range modes {
		if _, err := strconv.ParseBool(m); err != nil {
			p.add("-modes: %q is not true or false", m)
		}
	}
}

// bridgeEnv reports the -bridge-env values that are not NAME=value.
func (p *problems) bridgeEnv(env []string) {
	for _, kv := range env {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			p.add("-bridge-env %q: want NAME=value", kv)
		}
	}
}

// err is every problem in one error, or nil.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "; "))
}

// bench is the state shared by every run.
type bench struct {
	*session
	opts    options
	sim     *sim.Server
	token   string
	since   time.Time // the backlog's first event time
	records string    // file of the backlog's records, for the raw producers
	ids     map[string]struct{}
	sizes   sizeStats
}

const benchToken = "bench-token"

func benchMain(args []string, stdout, stderr io.Writer) int {
	return runMode(args, stdout, stderr, parseFlags, func(ctx context.Context, opts options, s *session) (modeReport, error) {
		return (&bench{session: s, opts: opts}).run(ctx, args)
	})
}

// run prepares everything, runs every row -runs times and returns the
// report. Whatever it started is stopped when it returns.
func (b *bench) run(ctx context.Context, args []string) (modeReport, error) {
	o := b.opts
	rep := &report{
		setupInfo: newSetupInfo(args),
		loadStart: loadAverage(),
		opts:      o,
	}
	cleanup, err := b.setup(ctx, "analytics-bridge-bench-", o.bridgeBin, len(o.modes) > 0,
		func() bool { return o.keep || rep.failed() }, &rep.setupInfo)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	// The simulator, with the whole backlog generated before any reader
	// connects, and live generation stopped.
	fmt.Fprintf(b.stderr, "bench: generating %d events...\n", o.events)
	srv, err := sim.New(sim.Config{
		Rate:         1e-9, // live generation off; Pause below makes sure
		BatchSize:    o.frame,
		Retention:    48 * time.Hour,
		StaticTokens: []string{benchToken},
		LedgerLimit:  0,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	defer srv.Close()
	srv.Pause()
	b.sim, b.token = srv, benchToken
	genStart := time.Now()
	if b.since, err = srv.Preload(sim.Backlog{Events: o.events, EventBytes: o.eventBytes}); err != nil {
		return nil, err
	}
	ledger := srv.Ledger()
	if len(ledger) != o.events {
		return nil, fmt.Errorf("the simulator holds %d events, want %d", len(ledger), o.events)
	}
	b.records = filepath.Join(b.tmp, "records.bin")
	if b.ids, b.sizes, err = writeRecords(b.records, ledger); err != nil {
		return nil, err
	}
	rep.sizes = b.sizes
	rep.backlog = fmt.Sprintf("generated in %s, event times over %s before the first reader",
		time.Since(genStart).Round(time.Millisecond), ledger[len(ledger)-1].Time.Sub(ledger[0].Time).Round(time.Second))

	rows := b.rows()
	results := make([][]result, len(rows))
	load := startLoad()
	for i := range o.runs {
		for j, r := range rows {
			if err := ctx.Err(); err != nil {
				rep.rows = summarise(rows, results)
				return rep, fmt.Errorf("interrupted: %w", err)
			}
			meter := startLoad()
			res := r.run(ctx, b, i+1)
			res.others = meter.others()
			results[j] = append(results[j], res)
			fmt.Fprintf(b.stderr, "bench: run %d/%d %-6s %s\n", i+1, o.runs, r.label, res.brief())
		}
	}
	rep.rows = summarise(rows, results)
	rep.loadEnd, rep.others = loadAverage(), load.others()
	return rep, nil
}

// brokerNote names the embedded broker among the bench process's work.
func (b *bench) brokerNote() string {
	if b.real {
		return ""
	}
	return ", embedded broker"
}

// rows lists what to run, raw rows first.
func (b *bench) rows() []row {
	var rows []row
	for _, k := range b.opts.raw {
		rows = append(rows, rawRows[k])
	}
	for _, m := range b.opts.modes {
		txn, _ := strconv.ParseBool(m)
		rows = append(rows, bridgeRow(txn))
	}
	return rows
}

// buildBridge runs `go build -o <tmp>/analytics-bridge .` in the module
// root and describes the build.
func buildBridge(ctx context.Context, tmp string) (string, string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", "", fmt.Errorf("finding the module root (go env GOMOD): run the bench inside the repository (%v)", err)
	}
	root := filepath.Dir(gomod)
	bin := filepath.Join(tmp, "analytics-bridge")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	started := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("building the bridge (go build -o %s . in %s): %v\n%s", bin, root, err, out)
	}
	desc := fmt.Sprintf("go build -o %s . in %s (%s)", filepath.Base(bin), root, time.Since(started).Round(100*time.Millisecond))
	if rev := gitRevision(root); rev != "" {
		desc += ", revision " + rev
	}
	return bin, desc, nil
}

func gitRevision(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += " with uncommitted changes"
	}
	return rev
}

func machineInfo() string {
	return fmt.Sprintf("nproc %d, GOMAXPROCS %d, %s %s/%s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func quoteArgs(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t\"'$") {
			a = strconv.Quote(a)
		}
		b.WriteString(a)
	}
	return b.String()
}

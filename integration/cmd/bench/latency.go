package main

// The latency mode (go run ./integration/cmd/bench -latency): the bridge at
// a steady live rate, and how long each event takes from the upstream's
// send to Kafka.
//
// The simulator generates live (sim.Server.GenerateSendTimed): every 10 ms
// tick emits rate × 10 ms events in frames of up to -frame events, each
// event's "timestamp" being the moment the simulator hands it to the
// connection's writer (millisecond precision, truncated, as the feed's
// timestamps are). The output topic is created by the bench beforehand
// (-partitions partitions, replication 1, message.timestamp.type=
// LogAppendTime), so that the broker stamps every record with its append
// time; the bridge, with KAFKA_CREATE_TOPICS=true, keeps it. A franz-go
// consumer in this process (read_committed, FetchMaxWait -fetch-max-wait)
// reads the topic from its start while the bridge runs. Per record:
//
//	send → append    record timestamp (the broker's append time) − the event's
//	                 timestamp; both are milliseconds truncated from the same
//	                 clock, so each sample is within ±1 ms and their mean is
//	                 unbiased;
//	send → receive   when the read_committed consumer got the record (wall
//	                 clock, ns) − the event's timestamp: with transactions, the
//	                 time until a read_committed consumer sees the event; it
//	                 includes up to 1 ms (0.5 ms on average) of the
//	                 timestamp's truncation and up to -fetch-max-wait of fetch
//	                 wait when the broker does not wake a waiting fetch.
//
// Events sent during the first -warmup of the generation are not counted.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// latencyOptions are the latency mode's flags.
type latencyOptions struct {
	rate         float64
	duration     time.Duration
	warmup       time.Duration
	fetchMaxWait time.Duration
	drain        time.Duration
	modes        []string // KAFKA_TRANSACTIONS values
	frame        int
	partitions   int
	bridgeBin    string
	bridgeEnv    []string
	keep         bool
	samples      string // CSV file of every counted event's figures
}

// wantsLatency reports whether the command line asks for the latency mode.
func wantsLatency(args []string) bool { return wantsFlag(args, "latency") }

// wantsFlag reports whether args set the boolean flag name (-name,
// -name=true) before any "--".
func wantsFlag(args []string, flagName string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != flagName {
			continue
		}
		if !hasValue {
			return true
		}
		on, err := strconv.ParseBool(value)
		return on || err != nil // a bad value is parseLatencyFlags' to report
	}
	return false
}

func parseLatencyFlags(args []string, stderr io.Writer) (latencyOptions, error) {
	fs := flag.NewFlagSet("bench -latency", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o latencyOptions
	var modes string
	var env stringList
	fs.Bool("latency", true, "measure latency at a steady live rate (this mode)")
	fs.Float64Var(&o.rate, "rate", 5000, "events per second the simulator generates live")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "how long the simulator generates, warm-up included, per mode")
	fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "events sent during this first part of the generation are not counted")
	fs.DurationVar(&o.fetchMaxWait, "fetch-max-wait", 10*time.Millisecond, "FetchMaxWait of the read_committed consumer (at least 10ms): the most a fetch waits at the broker for records")
	fs.DurationVar(&o.drain, "drain", 30*time.Second, "after the generation, how long to wait for every event to reach the consumer")
	fs.StringVar(&modes, "modes", "false,true", "KAFKA_TRANSACTIONS values to run the bridge with, in order")
	fs.IntVar(&o.frame, "frame", sim.DefaultBatchSize, "most events per live frame (the simulator's BatchSize)")
	fs.IntVar(&o.partitions, "partitions", 6, "partitions of the output topic the bench creates")
	bridgeFlags(fs, &o.bridgeBin, &env, &o.keep, "KAFKA_LINGER=0s")
	fs.StringVar(&o.samples, "samples", "", "write every counted event to this CSV file: transactions, partition, offset, event time (Unix ms), send → append (ms, empty without LogAppendTime), send → receive (ms)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./integration/cmd/bench -latency [flags]\n\nMeasures, at a steady live rate, the time from the upstream's send to the broker's append\nand to a read_committed consumer. KAFKA_BROKERS=host:port,... uses a real cluster instead\nof the embedded broker.\n\n")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return o, err
	}
	o.modes, o.bridgeEnv = config.SplitList(modes), env
	var bad problems
	if !(o.rate > 0) || math.IsInf(o.rate, 0) {
		bad.add("-rate %v: must be a positive number", o.rate)
	}
	if o.warmup < 0 || o.duration <= o.warmup {
		bad.add("-duration %s must be longer than -warmup %s (not negative)", o.duration, o.warmup)
	}
	if o.fetchMaxWait < 10*time.Millisecond {
		bad.add("-fetch-max-wait %s: franz-go takes at least 10ms", o.fetchMaxWait)
	}
	if o.drain <= 0 {
		bad.add("-drain %s: must be positive", o.drain)
	}
	bad.positive("-frame", o.frame)
	bad.positive("-partitions", o.partitions)
	if len(o.modes) == 0 {
		bad.add("-modes: nothing to run")
	}
	bad.modes(o.modes)
	bad.bridgeEnv(o.bridgeEnv)
	if err := bad.err(); err != nil {
		return o, err
	}
	return o, nil
}

// latencyBench is the state shared by the latency runs.
type latencyBench struct {
	*session
	opts latencyOptions
	csv  *bufio.Writer // -samples, or nil
}

func latencyMain(args []string, stdout, stderr io.Writer) int {
	return runMode(args, stdout, stderr, parseLatencyFlags, func(ctx context.Context, opts latencyOptions, s *session) (modeReport, error) {
		return (&latencyBench{session: s, opts: opts}).run(ctx, args)
	})
}

// latencyReport is what the latency mode prints.
type latencyReport struct {
	setupInfo
	opts      latencyOptions
	commitIvl string // KAFKA_COMMIT_INTERVAL the bridge runs with
	runs      []latencyRun
}

func (r *latencyReport) failed() bool {
	for _, run := range r.runs {
		if run.err != nil {
			return true
		}
	}
	return false
}

func (b *latencyBench) run(ctx context.Context, args []string) (modeReport, error) {
	o := b.opts
	rep := &latencyReport{
		setupInfo: newSetupInfo(args),
		opts:      o,
		commitIvl: config.Defaults().KafkaCommitInterval + " (default)",
	}
	for _, kv := range o.bridgeEnv {
		if v, ok := strings.CutPrefix(kv, "KAFKA_COMMIT_INTERVAL="); ok {
			rep.commitIvl = v
		}
	}
	cleanup, err := b.setup(ctx, "analytics-bridge-latency-", o.bridgeBin, true,
		func() bool { return o.keep || rep.failed() }, &rep.setupInfo)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	if o.samples != "" {
		f, err := os.Create(o.samples)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b.csv = bufio.NewWriterSize(f, 1<<20)
		defer b.csv.Flush()
		fmt.Fprintln(b.csv, "transactions,partition,offset,event_unix_ms,send_to_append_ms,send_to_receive_ms")
	}

	for i, m := range o.modes {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("interrupted: %w", err)
		}
		txn, _ := strconv.ParseBool(m)
		run := b.runOne(ctx, txn, i+1)
		rep.runs = append(rep.runs, run)
		fmt.Fprintf(b.stderr, "bench: KAFKA_TRANSACTIONS=%t %s\n", txn, run.brief())
	}
	return rep, nil
}

// latencyRun is one mode's run.
type latencyRun struct {
	txn         bool
	name        string
	loadBefore  string
	loadAfter   string
	others      float64 // cores other processes kept busy during the run
	emitted     int
	genElapsed  time.Duration
	window      time.Duration // the counted part of the generation
	received    int           // distinct events the consumer got
	dups        int
	createTime  int       // records without LogAppendTime
	appendMs    []float64 // send → append, counted events; nil when the broker did not stamp
	receiveMs   []float64 // send → read_committed receive, counted events
	p99By10s    []float64 // send → receive p99 of each 10 s of the counted part
	connections int
	exit        string
	warns, errs int
	msgs        []string
	consumeErr  error
	err         error
}

func (r latencyRun) brief() string {
	if r.err != nil {
		return "FAILED: " + firstLine(r.err.Error())
	}
	s := fmt.Sprintf("%d samples, %s events/s", len(r.receiveMs), perSec(float64(len(r.receiveMs))/r.window.Seconds()))
	if r.appendMs != nil {
		q := quantiles(r.appendMs)
		s += fmt.Sprintf("; send→append p50 %.1f p99 %.1f ms", q[0], q[2])
	}
	q := quantiles(r.receiveMs)
	return s + fmt.Sprintf("; send→read_committed p50 %.1f p99 %.1f ms", q[0], q[2])
}

// runOne runs the bridge in one mode at the live rate and measures it.
func (b *latencyBench) runOne(ctx context.Context, txn bool, i int) (run latencyRun) {
	o := b.opts
	name := b.name("lat-"+txnKind(txn), i)
	run.txn, run.name = txn, name
	topic := name + ".events"
	ckTopic := name + ".checkpoints"
	if !o.keep {
		defer deleteTopics(b.brokers, topic, topic+".dlq", ckTopic)
	}
	if err := createTopicWith(ctx, b.brokers, kafka.TopicConfig{
		Topic: topic, NumPartitions: o.partitions, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "message.timestamp.type", ConfigValue: "LogAppendTime"}},
	}); err != nil {
		run.err = err
		return run
	}

	srv, err := sim.New(sim.Config{
		Rate:         1e-9, // the regular generator is off; GenerateSendTimed generates
		BatchSize:    o.frame,
		Retention:    time.Minute, // only a reconnect would replay
		StaticTokens: []string{benchToken},
		LedgerLimit:  1000,
	})
	if err != nil {
		run.err = fmt.Errorf("starting the simulator: %w", err)
		return run
	}
	defer srv.Close()
	srv.Pause()

	cons, err := startLatencyConsumer(b.brokers, topic, o.partitions, o.fetchMaxWait)
	if err != nil {
		run.err = err
		return run
	}
	defer cons.stop()

	br, err := b.newBridge(name)
	if err != nil {
		run.err = err
		return run
	}
	defer br.stop()
	if err := br.start(b.session, []string{
		"ANALYTICS_URL=" + srv.EventsURL(),
		"ANALYTICS_TOKEN=" + benchToken,
		"KAFKA_BROKERS=" + strings.Join(b.brokers, ","),
		"KAFKA_TOPIC=" + topic,
		"CHECKPOINT_TOPIC=" + ckTopic,
		"BRIDGE_NAME=" + name,
		"START_SINCE=now",
		"HTTP_ADDR=",
		"KAFKA_CREATE_TOPICS=true",
		"KAFKA_TRANSACTIONS=" + strconv.FormatBool(txn),
	}, o.bridgeEnv); err != nil {
		run.err = err
		return run
	}
	fail := func(format string, args ...any) latencyRun {
		run.err = br.failure(format, args...)
		return run
	}

	// Generate once the bridge is connected upstream.
	connectBy := time.Now().Add(60 * time.Second)
	for srv.Active() == 0 {
		select {
		case <-ctx.Done():
			return fail("interrupted")
		case <-br.done:
			return fail("the bridge exited before connecting upstream (%v)", br.err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(connectBy) {
			return fail("the bridge did not connect upstream within 60s")
		}
	}

	run.loadBefore = loadAverage()
	meter := startLoad()
	genCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	type genResult struct {
		n   int
		err error
	}
	genDone := make(chan genResult, 1)
	genStart := time.Now()
	go func() {
		n, err := srv.GenerateSendTimed(genCtx, o.rate)
		genDone <- genResult{n, err}
	}()
	var gen genResult
	select {
	case gen = <-genDone:
	case <-br.done:
		cancel()
		<-genDone
		return fail("the bridge exited during the run (%v)", br.err)
	}
	genEnd := time.Now()
	if gen.err != nil {
		return fail("generating: %v", gen.err)
	}
	if ctx.Err() != nil {
		return fail("interrupted")
	}
	run.emitted, run.genElapsed = gen.n, genEnd.Sub(genStart)

	// Wait until every event has reached the consumer.
	drainBy := time.Now().Add(o.drain)
	for cons.count() < run.emitted && time.Now().Before(drainBy) && !br.exited() && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	run.loadAfter = loadAverage()
	run.connections = len(srv.Connections())
	run.exit = br.terminate(30 * time.Second)
	run.others = meter.others() // the bridge waited for: its CPU is ours
	cons.stop()
	run.warns, run.errs, run.msgs = scanLog(br.log)

	// The counted events: sent from genStart+warmup on.
	from := genStart.Add(o.warmup)
	run.window = genEnd.Sub(from)
	fromMs := from.UnixMilli()
	if from.Sub(time.UnixMilli(fromMs)) > 0 {
		fromMs++ // the first whole millisecond at or after from
	}
	samples, received, dups, createTime, cerr := cons.result()
	run.received, run.dups, run.createTime, run.consumeErr = received, dups, createTime, cerr
	var appendMs, receiveMs []float64
	var byWindow [][]float64
	for _, s := range samples {
		if s.event < fromMs {
			continue
		}
		app := ""
		if s.append >= 0 {
			appendMs = append(appendMs, float64(s.append-s.event))
			app = strconv.FormatInt(s.append-s.event, 10)
		}
		rec := float64(s.recv-s.event*1e6) / 1e6
		receiveMs = append(receiveMs, rec)
		if b.csv != nil {
			fmt.Fprintf(b.csv, "%t,%d,%d,%d,%s,%.3f\n", txn, s.part, s.offset, s.event, app, rec)
		}
		w := int((s.event - fromMs) / 10000)
		for len(byWindow) <= w {
			byWindow = append(byWindow, nil)
		}
		byWindow[w] = append(byWindow[w], rec)
	}
	if createTime == 0 {
		run.appendMs = appendMs
	}
	run.receiveMs = receiveMs
	for _, w := range byWindow {
		run.p99By10s = append(run.p99By10s, quantiles(w)[2])
	}
	switch {
	case received < run.emitted:
		return fail("%d of %d events reached the consumer within -drain %s", received, run.emitted, o.drain)
	case received > run.emitted:
		return fail("the consumer got %d distinct events, the simulator emitted %d", received, run.emitted)
	case len(receiveMs) == 0:
		return fail("no event after the warm-up")
	}
	return run
}

// latencySample is one record as the consumer got it.
type latencySample struct {
	event  int64 // the event's timestamp, Unix ms
	recv   int64 // when the poll returned it, Unix ns
	append int64 // the record's LogAppendTime, Unix ms; -1 for CreateTime
	part   int32
	offset int64
}

// latencyConsumer reads a topic from its start with read_committed
// isolation and records every event's times.
type latencyConsumer struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	mu         sync.Mutex
	samples    []latencySample
	ids        map[string]struct{}
	dups       int
	createTime int
	err        error // the first fetch or parse error
}

func startLatencyConsumer(brokers []string, topic string, partitions int, maxWait time.Duration) (*latencyConsumer, error) {
	offsets := map[int32]kgo.Offset{}
	for p := range partitions {
		offsets[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ClientID("bench-latency"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(maxWait),
	)
	if err != nil {
		return nil, fmt.Errorf("the latency consumer: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &latencyConsumer{cl: cl, cancel: cancel, done: make(chan struct{}), ids: map[string]struct{}{}}
	go c.run(ctx)
	return c, nil
}

func (c *latencyConsumer) run(ctx context.Context) {
	defer close(c.done)
	for {
		fs := c.cl.PollFetches(ctx)
		recv := time.Now().UnixNano()
		if ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		fs.EachError(func(t string, p int32, err error) {
			if c.err == nil {
				c.err = fmt.Errorf("fetching %s[%d]: %w", t, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			if gapMarker(r) {
				return
			}
			k := string(r.Key)
			if _, dup := c.ids[k]; dup {
				c.dups++
				return
			}
			c.ids[k] = struct{}{}
			ev, err := eventTime(r.Value)
			if err != nil {
				if c.err == nil {
					c.err = fmt.Errorf("record %s[%d]@%d: %w", r.Topic, r.Partition, r.Offset, err)
				}
				return
			}
			s := latencySample{event: ev.UnixMilli(), recv: recv, append: -1, part: r.Partition, offset: r.Offset}
			if r.Attrs.TimestampType() == 1 {
				s.append = r.Timestamp.UnixMilli()
			} else {
				c.createTime++
			}
			c.samples = append(c.samples, s)
		})
		c.mu.Unlock()
	}
}

func gapMarker(r *kgo.Record) bool {
	for _, h := range r.Headers {
		if h.Key == "bridge-gap" {
			return true
		}
	}
	return false
}

// count is the number of distinct events received so far.
func (c *latencyConsumer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}

func (c *latencyConsumer) stop() {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		c.cl.Close()
	})
}

func (c *latencyConsumer) result() ([]latencySample, int, int, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.samples, len(c.ids), c.dups, c.createTime, c.err
}

var timestampKey = []byte(`"timestamp":"`)

// eventTime reads an event's "timestamp".
func eventTime(v []byte) (time.Time, error) {
	i := bytes.Index(v, timestampKey)
	if i < 0 {
		return time.Time{}, errors.New("no timestamp in the event")
	}
	v = v[i+len(timestampKey):]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return time.Time{}, errors.New("unterminated timestamp")
	}
	return time.Parse(time.RFC3339Nano, string(v[:j]))
}

// quantileLevels are the reported quantiles; quantiles returns them and
// the maximum.
var quantileLevels = []float64{0.50, 0.90, 0.99, 0.999}

// quantiles returns p50, p90, p99, p99.9 (nearest rank) and the maximum of
// v, sorting it; NaNs when v is empty.
func quantiles(v []float64) []float64 {
	out := make([]float64, len(quantileLevels)+1)
	if len(v) == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	sort.Float64s(v)
	for i, q := range quantileLevels {
		k := int(math.Ceil(q*float64(len(v)))) - 1
		out[i] = v[min(max(k, 0), len(v)-1)]
	}
	out[len(quantileLevels)] = v[len(v)-1]
	return out
}

func (r *latencyReport) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "analytics-bridge bench -latency: from the upstream's send to Kafka, at a steady live rate\n")
	fmt.Fprintf(w, "  command   %s\n", r.command)
	fmt.Fprintf(w, "  machine   %s\n", r.machine)
	fmt.Fprintf(w, "  kafka     %s\n", r.kafka)
	fmt.Fprintf(w, "  bridge    %s\n", r.bridgeBuild)
	extra := "none"
	if len(o.bridgeEnv) > 0 {
		extra = strings.Join(o.bridgeEnv, " ")
	}
	fmt.Fprintf(w, "            defaults, plus the simulator's URL and token, KAFKA_BROKERS, fresh KAFKA_TOPIC, CHECKPOINT_TOPIC\n")
	fmt.Fprintf(w, "            and BRIDGE_NAME, START_SINCE=now, HTTP_ADDR=, KAFKA_CREATE_TOPICS=true; -bridge-env: %s\n", extra)
	fmt.Fprintf(w, "  workload  %s events/s generated live for %s per mode (the first %s not counted), frames of up to %d events\n",
		perSec(o.rate), o.duration, o.warmup, o.frame)
	fmt.Fprintf(w, "            every 10 ms; each event's timestamp is when the simulator emits it (ms, truncated)\n")
	fmt.Fprintf(w, "  topic     created by the bench: %d partitions, replication 1, message.timestamp.type=LogAppendTime\n", o.partitions)
	fmt.Fprintf(w, "  consumer  franz-go, read_committed, FetchMaxWait %s, FetchMinBytes 1, in the bench process\n\n", o.fetchMaxWait)

	// Rows first, so that the labels can be padded to the longest.
	type tableRow struct {
		label string
		cells []string
	}
	var rows []tableRow
	for _, run := range r.runs {
		mode := fmt.Sprintf("KAFKA_TRANSACTIONS=%t", run.txn)
		if run.err != nil {
			rows = append(rows, tableRow{mode, []string{"failed"}})
			continue
		}
		rate := perSec(float64(len(run.receiveMs)) / run.window.Seconds())
		row := func(span string, v []float64) {
			if v == nil {
				rows = append(rows, tableRow{mode + "  " + span, []string{"-"}})
				return
			}
			q := quantiles(v)
			rows = append(rows, tableRow{mode + "  " + span, []string{
				strconv.Itoa(len(v)), rate,
				fmt.Sprintf("%.1f", q[0]), fmt.Sprintf("%.1f", q[1]), fmt.Sprintf("%.1f", q[2]), fmt.Sprintf("%.1f", q[3]), fmt.Sprintf("%.1f", q[4]),
			}})
		}
		if run.txn {
			row("send → broker append, before the commit", run.appendMs)
		} else {
			row("send → broker append (LogAppendTime)", run.appendMs)
		}
		row("send → read_committed consumer receive", run.receiveMs)
	}
	width := len("mode, span")
	for _, row := range rows {
		width = max(width, len([]rune(row.label)))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tsamples\tevents/s\tp50\tp90\tp99\tp99.9\tmax (ms)\t\n", padRight("mode, span", width))
	for _, row := range rows {
		cells := append(row.cells, make([]string, 7-len(row.cells))...)
		fmt.Fprintf(tw, "%s\t%s\t\n", padRight(row.label, width), strings.Join(cells, "\t"))
	}
	_ = tw.Flush()

	fmt.Fprintf(w, "\nTargets (issue 12): transactions off, send → append p50 ≤ 3 ms and p99 ≤ 25 ms;\n")
	fmt.Fprintf(w, "transactions on, send → read_committed p99 ≤ KAFKA_COMMIT_INTERVAL + 25 ms (KAFKA_COMMIT_INTERVAL %s).\n", r.commitIvl)
	for _, run := range r.runs {
		if run.err != nil {
			continue
		}
		switch {
		case !run.txn && run.appendMs != nil:
			q := quantiles(run.appendMs)
			fmt.Fprintf(w, "  KAFKA_TRANSACTIONS=false: p50 %.1f ms %s, p99 %.1f ms %s\n", q[0], verdict(q[0] <= 3), q[2], verdict(q[2] <= 25))
		case !run.txn:
			q := quantiles(run.receiveMs)
			fmt.Fprintf(w, "  KAFKA_TRANSACTIONS=false: the broker did not stamp LogAppendTime; send → receive p50 %.1f ms, p99 %.1f ms (an upper bound of send → append)\n", q[0], q[2])
		default:
			limit := math.NaN()
			if d, err := time.ParseDuration(strings.TrimSuffix(r.commitIvl, " (default)")); err == nil {
				limit = float64(d.Milliseconds()) + 25
			}
			q := quantiles(run.receiveMs)
			fmt.Fprintf(w, "  KAFKA_TRANSACTIONS=true: p99 %.1f ms %s (limit %.0f ms)\n", q[2], verdict(q[2] <= limit), limit)
		}
	}

	fmt.Fprintf(w, "\nRuns:\n")
	for _, run := range r.runs {
		broker := ""
		if r.realBroker {
			broker = " (a broker on this host counts among them)"
		}
		fmt.Fprintf(w, "  KAFKA_TRANSACTIONS=%t (BRIDGE_NAME %s): load average %s before, %s after;\n      other processes kept %.2f cores busy%s\n",
			run.txn, run.name, run.loadBefore, run.loadAfter, run.others, broker)
		if run.err != nil {
			for _, l := range strings.Split(strings.TrimRight(run.err.Error(), "\n"), "\n") {
				fmt.Fprintf(w, "      %s\n", l)
			}
			continue
		}
		fmt.Fprintf(w, "      the simulator emitted %d events in %s (%s/s); the consumer got %d distinct, %d duplicates;\n",
			run.emitted, run.genElapsed.Round(time.Millisecond), perSec(float64(run.emitted)/run.genElapsed.Seconds()), run.received, run.dups)
		fmt.Fprintf(w, "      %d counted over %s; %d upstream connection(s)\n", len(run.receiveMs), run.window.Round(time.Millisecond), run.connections)
		if run.createTime > 0 {
			fmt.Fprintf(w, "      %d records came back with CreateTime, not LogAppendTime: the broker ignores the topic's message.timestamp.type\n", run.createTime)
			fmt.Fprintf(w, "      (kfake stamps the append time only when the producer asks for it), so send → append is not measured\n")
		}
		var p99s []string
		for _, v := range run.p99By10s {
			p99s = append(p99s, fmt.Sprintf("%.1f", v))
		}
		fmt.Fprintf(w, "      send → receive p99 per 10 s of the counted part (ms): %s\n", strings.Join(p99s, " "))
		if run.consumeErr != nil {
			fmt.Fprintf(w, "      consumer: %v\n", run.consumeErr)
		}
		fmt.Fprintf(w, "      bridge %s; log: %d warn, %d error lines\n", run.exit, run.warns, run.errs)
		for _, m := range run.msgs {
			fmt.Fprintf(w, "        %s\n", m)
		}
	}
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(MISSED)"
}

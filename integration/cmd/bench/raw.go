package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/segmentio/kafka-go"
	"github.com/tidwall/gjson"
)

// The raw rows. Each runs in a child process (this binary re-executed with
// childArg) that measures itself: the time and CPU of the timed part only,
// and its peak RSS.
const (
	kindWSJSON  = "ws-json"
	kindWSGJSON = "ws-gjson"
	kindWriter  = "writer"
	kindProduce = "produce"
)

var rawKinds = []string{kindWSJSON, kindWSGJSON, kindWriter, kindProduce}

var rawRows = map[string]row{
	kindWSJSON:  {class: classRead, label: "a", name: "WebSocket read, encoding/json split", run: rawRun(kindWSJSON)},
	kindWSGJSON: {class: classRead, label: "a'", name: "WebSocket read, gjson split", run: rawRun(kindWSGJSON)},
	kindWriter:  {class: classWrite, label: "b", name: "kafka-go Writer, acks=all", run: rawRun(kindWriter)},
	kindProduce: {class: classWrite, label: "b'", name: "kafka-go Client.Produce, acks=all", run: rawRun(kindProduce)},
}

// childArg, as the first argument, makes this binary a raw child.
const childArg = "-bench-child"

// The raw producers batch as the bridge does by default: at most
// KAFKA_BATCH_SIZE=1000 records and KAFKA_BATCH_BYTES=1 MiB per request and
// partition, KAFKA_LINGER=5ms, one request in flight per partition.
const (
	rawBatchSize  = 1000
	rawBatchBytes = 1 << 20
	rawLinger     = 5 * time.Millisecond
)

// childParams is what a raw child is told, as JSON in its second argument.
type childParams struct {
	Kind        string
	URL, Token  string
	Since       time.Time
	Events      int
	Brokers     []string
	Topic       string
	Partitions  int
	Compression string
	Records     string
	Timeout     time.Duration
}

// childResult is what a raw child prints on stdout, as JSON.
type childResult struct {
	Events  int
	Frames  int           // WebSocket frames read
	Elapsed time.Duration // the timed part
	CPU     time.Duration // utime+stime during the timed part
	HWMKiB  int64         // VmHWM at the end
	// BaseKiB is VmRSS when the timed part starts: the producers hold the
	// whole backlog in memory by then.
	BaseKiB int64
}

// rawRun returns the parent's side of a raw row: prepare, run the child,
// check.
func rawRun(kind string) func(context.Context, *bench, int) result {
	return func(ctx context.Context, b *bench, i int) result {
		o := b.opts
		p := childParams{Kind: kind, Events: o.events, Compression: o.compression, Timeout: o.timeout}
		var topic string
		switch kind {
		case kindWSJSON, kindWSGJSON:
			p.URL, p.Token, p.Since = b.sim.EventsURL(), b.token, b.since
		default:
			topic = b.name(kind, i)
			if err := createTopic(ctx, b.brokers, topic, o.partitions); err != nil {
				return result{err: err}
			}
			if !o.keep {
				defer deleteTopics(b.brokers, topic)
			}
			p.Brokers, p.Topic, p.Partitions, p.Records = b.brokers, topic, o.partitions, b.records
		}
		self, err := os.Executable()
		if err != nil {
			return result{err: err}
		}
		arg, _ := json.Marshal(p)
		cmd := exec.Command(self, childArg, string(arg))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		benchCPU0 := selfCPU()
		pr, err := b.kids.start(cmd)
		if err != nil {
			return result{err: err}
		}
		if err := pr.wait(o.timeout+30*time.Second, ctx.Done()); err != nil {
			return result{err: fmt.Errorf("%s child: %v\n%s", kind, err, tail(stderr.String(), 20))}
		}
		benchCPU := selfCPU() - benchCPU0
		var cr childResult
		if err := json.Unmarshal(stdout.Bytes(), &cr); err != nil {
			return result{err: fmt.Errorf("%s child: reading its result %q: %w", kind, stdout.String(), err)}
		}
		res := result{
			events: cr.Events, elapsed: cr.Elapsed, perSec: float64(cr.Events) / cr.Elapsed.Seconds(),
			hwmKiB: cr.HWMKiB, cpu: cr.CPU,
		}
		switch kind {
		case kindWSJSON, kindWSGJSON:
			res.note = fmt.Sprintf("%d frames in %s; bench process (simulator) CPU %.2f µs/event",
				cr.Frames, cr.Elapsed.Round(time.Millisecond), float64(benchCPU.Nanoseconds())/1e3/float64(o.events))
		default:
			who := "bench process"
			if !b.real {
				who += " (embedded broker)"
			}
			res.note = fmt.Sprintf("%s, RSS %s before the timed part (the backlog loaded); %s CPU %.2f µs/event",
				cr.Elapsed.Round(time.Millisecond), mib(cr.BaseKiB), who, float64(benchCPU.Nanoseconds())/1e3/float64(o.events))
			n, err := endOffsets(ctx, b.brokers, topic, o.partitions, false)
			switch {
			case err != nil:
				res.err = fmt.Errorf("counting %s: %w", topic, err)
			case n != int64(o.events):
				res.err = fmt.Errorf("%s holds %d records, want %d", topic, n, o.events)
			}
		}
		return res
	}
}

// childMain runs a raw child: args[0] is its childParams.
func childMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "bench child: want one argument")
		return 2
	}
	var p childParams
	if err := json.Unmarshal([]byte(args[0]), &p); err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.Timeout)
	defer cancel()
	var res childResult
	var err error
	switch p.Kind {
	case kindWSJSON:
		res, err = wsRead(ctx, p, splitJSON)
	case kindWSGJSON:
		res, err = wsRead(ctx, p, splitGJSON)
	case kindWriter:
		res, err = produceWriter(ctx, p)
	case kindProduce:
		res, err = produceClient(ctx, p)
	default:
		err = fmt.Errorf("unknown kind %q", p.Kind)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench child %s: %v\n", p.Kind, err)
		return 1
	}
	res.HWMKiB, _, _ = memStatus("self")
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return 0
}

// wsRead reads the backlog with a minimal client and splits each frame
// into events; the clock runs from the end of the handshake to the last
// event.
func wsRead(ctx context.Context, p childParams, split func([]byte) (int, error)) (childResult, error) {
	u := p.URL + "?since=" + url.QueryEscape(p.Since.UTC().Format(time.RFC3339Nano))
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + p.Token}}})
	if err != nil {
		return childResult{}, fmt.Errorf("dialing the simulator: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(-1)

	var res childResult
	var buf bytes.Buffer
	cpu0, t0 := selfCPU(), time.Now()
	for res.Events < p.Events {
		_, r, err := conn.Reader(ctx)
		if err != nil {
			return res, fmt.Errorf("after %d events: %w", res.Events, err)
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return res, fmt.Errorf("after %d events: %w", res.Events, err)
		}
		n, err := split(buf.Bytes())
		if err != nil {
			return res, fmt.Errorf("frame %d: %w", res.Frames+1, err)
		}
		res.Frames++
		res.Events += n
	}
	res.Elapsed, res.CPU = time.Since(t0), selfCPU()-cpu0
	return res, nil
}

// isControl reports whether a bare object frame is a control frame
// (heartbeat, pong, system) rather than an event.
func isControl(topic string) bool {
	return topic == "channel.metadata" || strings.HasPrefix(topic, "v2.system.")
}

// splitJSON splits a frame with encoding/json: an array into its elements
// (each copied into a json.RawMessage), or a bare object.
func splitJSON(frame []byte) (int, error) {
	frame = bytes.TrimSpace(frame)
	if len(frame) > 0 && frame[0] == '[' {
		var evs []json.RawMessage
		if err := json.Unmarshal(frame, &evs); err != nil {
			return 0, err
		}
		return len(evs), nil
	}
	var one struct {
		TopicName string `json:"topicName"`
	}
	if err := json.Unmarshal(frame, &one); err != nil {
		return 0, err
	}
	if isControl(one.TopicName) {
		return 0, nil
	}
	return 1, nil
}

// splitGJSON splits a frame with gjson, after validating it as the bridge
// does.
func splitGJSON(frame []byte) (int, error) {
	if !gjson.ValidBytes(frame) {
		return 0, errors.New("frame is not valid JSON")
	}
	root := gjson.ParseBytes(frame)
	if root.IsArray() {
		n := 0
		root.ForEach(func(_, el gjson.Result) bool {
			if len(el.Raw) > 0 {
				n++
			}
			return true
		})
		return n, nil
	}
	if isControl(root.Get("topicName").String()) {
		return 0, nil
	}
	return 1, nil
}

func codec(c string) kafka.Compression {
	switch c {
	case "gzip":
		return kafka.Gzip
	case "snappy":
		return kafka.Snappy
	case "lz4":
		return kafka.Lz4
	case "zstd":
		return kafka.Zstd
	}
	return 0
}

// loadRecords reads the records file and returns the records and a result
// whose BaseKiB is this process's RSS with them loaded.
func loadRecords(path string) ([]kafka.Message, childResult, error) {
	msgs, err := readRecords(path)
	if err != nil {
		return nil, childResult{}, err
	}
	var res childResult
	_, res.BaseKiB, _ = memStatus("self")
	return msgs, res, nil
}

// produceWriter writes every record with one kafka.Writer.WriteMessages
// call; the Writer partitions (murmur2), batches and sends one request per
// partition at a time.
func produceWriter(ctx context.Context, p childParams) (childResult, error) {
	msgs, res, err := loadRecords(p.Records)
	if err != nil {
		return res, err
	}
	w := &kafka.Writer{
		Addr:         kafka.TCP(p.Brokers...),
		Topic:        p.Topic,
		Balancer:     &kafka.Murmur2Balancer{},
		BatchSize:    rawBatchSize,
		BatchBytes:   rawBatchBytes,
		BatchTimeout: rawLinger,
		RequiredAcks: kafka.RequireAll,
		Compression:  codec(p.Compression),
		MaxAttempts:  10,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
	}
	defer w.Close()
	cpu0, t0 := selfCPU(), time.Now()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return res, fmt.Errorf("writing %d messages: %w", len(msgs), err)
	}
	res.Events, res.Elapsed, res.CPU = len(msgs), time.Since(t0), selfCPU()-cpu0
	return res, nil
}

// recordSize estimates a record's share of a batch as the bridge does.
func recordSize(m *kafka.Message) int {
	n := 32 + len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 4
	}
	return n
}

// produceClient sends the records with kafka.Client.Produce: one goroutine
// per partition, one request in flight each, batches cut as the bridge
// cuts them (no linger needed: the records are all there).
func produceClient(ctx context.Context, p childParams) (childResult, error) {
	msgs, res, err := loadRecords(p.Records)
	if err != nil {
		return res, err
	}
	all := make([]int, p.Partitions)
	for i := range all {
		all[i] = i
	}
	parts := make([][]kafka.Message, p.Partitions)
	var bal kafka.Murmur2Balancer
	for _, m := range msgs {
		i := bal.Balance(m, all...)
		parts[i] = append(parts[i], m)
	}
	cl := &kafka.Client{Addr: kafka.TCP(p.Brokers...), Timeout: 30 * time.Second}
	comp := codec(p.Compression)

	cpu0, t0 := selfCPU(), time.Now()
	var wg sync.WaitGroup
	errs := make([]error, p.Partitions)
	for part, ms := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := 0; start < len(ms); {
				end, size := start, 0
				for end < len(ms) && end-start < rawBatchSize {
					s := recordSize(&ms[end])
					if end > start && size+s > rawBatchBytes {
						break
					}
					size += s
					end++
				}
				records := make([]kafka.Record, 0, end-start)
				for _, m := range ms[start:end] {
					records = append(records, kafka.Record{Time: m.Time, Key: kafka.NewBytes(m.Key), Value: kafka.NewBytes(m.Value), Headers: m.Headers})
				}
				if err := produceBatch(ctx, cl, p.Topic, part, records, comp); err != nil {
					errs[part] = fmt.Errorf("partition %d, records %d-%d: %w", part, start, end, err)
					return
				}
				start = end
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	res.Events, res.Elapsed, res.CPU = len(msgs), time.Since(t0), selfCPU()-cpu0
	return res, nil
}

// produceBatch sends one batch, again after a retriable error (a leader
// not yet elected on a fresh topic of a real cluster).
func produceBatch(ctx context.Context, cl *kafka.Client, topic string, part int, records []kafka.Record, comp kafka.Compression) error {
	pause := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		for i := range records {
			// A record's byte readers are consumed by a request.
			records[i].Key, records[i].Value = rewind(records[i].Key), rewind(records[i].Value)
		}
		res, err := cl.Produce(ctx, &kafka.ProduceRequest{
			Topic: topic, Partition: part, RequiredAcks: kafka.RequireAll,
			Records: kafka.NewRecordReader(records...), Compression: comp,
		})
		if err == nil && res.Error != nil {
			err = res.Error
		}
		if err == nil {
			return nil
		}
		var kerr kafka.Error
		if attempt >= 10 || !errors.As(err, &kerr) || !kerr.Temporary() || ctx.Err() != nil {
			return err
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Second)
	}
}

// rewind returns a fresh reader of b's bytes (b from kafka.NewBytes).
func rewind(b kafka.Bytes) kafka.Bytes {
	if b == nil {
		return nil
	}
	if s, ok := b.(io.Seeker); ok {
		_, _ = s.Seek(0, io.SeekStart)
	}
	return b
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

func bridgeRow(txn bool) row {
	mode := strconv.FormatBool(txn)
	return row{
		class: classBridge, label: "c", name: "bridge, KAFKA_TRANSACTIONS=" + mode,
		run: func(ctx context.Context, b *bench, i int) result { return b.runBridge(ctx, txn, i) },
	}
}

// bridgeEnv is the bridge's environment: the production defaults, and what
// a user sets to point it at the simulator and the cluster.
func (b *bench) bridgeEnv(name string, txn bool) config.Env {
	o := b.opts
	env := config.Defaults()
	env.AnalyticsURL = b.sim.EventsURL()
	env.AnalyticsToken = b.token
	env.KafkaBrokers = strings.Join(b.brokers, ",")
	env.KafkaTopic = name + ".events"
	env.CheckpointTopic = name + ".checkpoints"
	env.BridgeName = name
	env.BridgeInstanceID = name + "-1"
	env.KafkaTopicPartitions = strconv.Itoa(o.partitions)
	env.KafkaReplication = "1"
	env.KafkaCompression = o.compression
	env.KafkaTransactions = strconv.FormatBool(txn)
	env.StartSince = b.since.UTC().Format(time.RFC3339Nano)
	env.HTTPAddr = "" // several bridges may share the host; nothing scrapes it
	env.LogLevel, env.LogFormat = "info", "json"
	return env
}

// sample is one poll of a running bridge.
type sample struct {
	at     time.Time
	sum    int64 // committed end offsets, summed over the partitions
	cpu    time.Duration
	rssKiB int64
	bench  time.Duration // the bench process's own CPU (simulator, embedded broker, polls)
}

// runBridge runs the bridge binary on the backlog until every event is
// committed in its topic, and measures it.
func (b *bench) runBridge(ctx context.Context, txn bool, i int) result {
	o := b.opts
	name := b.name(txnKind(txn), i)
	env := b.bridgeEnv(name, txn)
	if o.heapDir != "" {
		addr, err := freeAddr()
		if err != nil {
			return result{err: err}
		}
		env.HTTPAddr, env.Pprof = addr, "true"
	}
	topics := []string{env.KafkaTopic, env.KafkaTopic + ".dlq", env.CheckpointTopic}
	if !o.keep {
		defer deleteTopics(b.brokers, topics...)
	}
	br, err := b.newBridge(name)
	if err != nil {
		return result{err: err}
	}
	defer br.stop()
	environ := env.Environ()
	started, benchCPU0 := time.Now(), selfCPU()
	if err := br.start(b.session, environ, o.bridgeEnv); err != nil {
		return result{err: err}
	}
	fail := func(format string, args ...any) result {
		return result{err: br.failure(format, args...)}
	}

	n := int64(o.events)
	cl := kafkaClient(b.brokers)
	pid, pidStr := br.pid(), strconv.Itoa(br.pid())
	deadline := started.Add(o.timeout)
	var first, last sample // first: the first with records; last: the first at the current sum
	var rssAt [4]int64     // VmRSS when a quarter, half, three quarters, all had landed
	cur, polls := int64(-1), 0
	var lastErr error
	nextRead := time.Time{}
	var rb readBack
	ticker := time.NewTicker(o.poll)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return result{err: errors.New("interrupted")}
		case <-br.done:
			return fail("the bridge exited before every event landed (%v; %d of %d committed)", br.err, max(cur, 0), n)
		case <-ticker.C:
		}
		now := time.Now()
		if now.After(deadline) {
			return fail("timed out after %s: %d of %d events committed in %s (last poll error: %v)", o.timeout, max(cur, 0), n, env.KafkaTopic, lastErr)
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		sum, err := endOffsetsWith(pctx, cl, env.KafkaTopic, o.partitions, true)
		cancel()
		polls++
		if err != nil {
			if !errors.Is(err, errNoTopic) {
				lastErr = err
			}
			continue
		}
		cpu, _ := cpuTime(pid)
		_, rss, _ := memStatus(pidStr)
		s := sample{at: now, sum: sum, cpu: cpu, rssKiB: rss, bench: selfCPU()}
		if sum > 0 && first.at.IsZero() {
			first = s
		}
		if sum != cur {
			cur, last, nextRead = sum, s, time.Time{}
		}
		for q := range rssAt {
			if rssAt[q] == 0 && sum >= int64(q+1)*n/4 {
				rssAt[q] = rss
			}
		}
		// Every record is committed once the end offsets reach n (plus
		// one transaction marker per partition and transaction) and stay
		// still: then read the topic back to be sure, off the clock.
		if sum < n || now.Sub(last.at) < o.settle || now.Before(nextRead) {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, time.Until(deadline))
		rb, err = b.readBack(rctx, env.KafkaTopic)
		cancel()
		if err == nil && rb.records >= n {
			break
		}
		if err != nil {
			lastErr = err
		}
		nextRead = time.Now().Add(o.settle)
	}

	hwm, _, _ := memStatus(pidStr)
	heapNote := ""
	if o.heapDir != "" {
		heapNote = saveHeap(ctx, env.HTTPAddr, filepath.Join(o.heapDir, name+".heap.pb.gz"))
	}
	benchCPU := last.bench - benchCPU0
	exit := br.terminate(30 * time.Second)

	res := result{events: int(n), hwmKiB: hwm, cpu: last.cpu}
	// The rate runs from the first poll that saw records to the first poll
	// that saw them all: the records of the first poll are not counted,
	// nor the transaction markers (a share of the end offsets).
	res.elapsed = last.at.Sub(first.at)
	if res.elapsed > 0 && last.sum > first.sum {
		res.perSec = float64(n) * float64(last.sum-first.sum) / float64(last.sum) / res.elapsed.Seconds()
	} else {
		res.elapsed = last.at.Sub(started)
		res.perSec = float64(n) / res.elapsed.Seconds()
	}
	markers := last.sum - rb.records
	var d strings.Builder
	fmt.Fprintf(&d, "start→first record %s, first→last %s, %s with startup; %d polls",
		first.at.Sub(started).Round(time.Millisecond), last.at.Sub(first.at).Round(time.Millisecond),
		perSec(float64(n)/last.at.Sub(started).Seconds()), polls)
	if landed := float64(n) * float64(last.sum-first.sum) / float64(max(last.sum, 1)); landed > 0 {
		fmt.Fprintf(&d, "\n      CPU %.2f µs/event between the first and the last record (%s before the first)",
			float64((last.cpu-first.cpu).Nanoseconds())/1e3/landed, first.cpu)
	}
	fmt.Fprintf(&d, "\n      bench process (simulator%s, polls) CPU %.2f µs/event until the last record", b.brokerNote(), float64(benchCPU.Nanoseconds())/1e3/float64(n))
	fmt.Fprintf(&d, "\n      RSS at 25/50/75/100%% landed: %s/%s/%s/%s, VmHWM %s at the end",
		mib(rssAt[0]), mib(rssAt[1]), mib(rssAt[2]), mib(rssAt[3]), mib(hwm))
	fmt.Fprintf(&d, "\n      read back: %d records, %d distinct ids of the backlog, %d unknown, %d gap markers",
		rb.records, rb.distinct, rb.unknown, rb.gaps)
	if txn {
		fmt.Fprintf(&d, ", %d transaction markers", markers)
	}
	if rb.records != n || rb.distinct != n || rb.unknown != 0 {
		res.err = fmt.Errorf("not exactly once: %d records, %d distinct ids of %d, %d unknown (log %s)", rb.records, rb.distinct, n, rb.unknown, br.log)
	}
	if heapNote != "" {
		fmt.Fprintf(&d, "\n      %s", heapNote)
	}
	logNote(&d, exit, br.log)
	res.note = d.String()
	return res
}

// logNote ends a bridge run's note: how it ended, and the warn and error
// lines of its log.
func logNote(d *strings.Builder, exit, log string) {
	warns, errs, msgs := scanLog(log)
	fmt.Fprintf(d, "\n      %s; log: %d warn, %d error lines", exit, warns, errs)
	for _, m := range msgs {
		fmt.Fprintf(d, "\n        %s", m)
	}
}

// readBack is what the bridge's topic holds.
type readBack struct {
	records, distinct, unknown, gaps int64
}

// readBack reads the topic's committed records (kafkatest.ReadAll, a
// franz-go read_committed consumer) and checks their keys against the
// backlog's ids.
func (b *bench) readBack(ctx context.Context, topic string) (readBack, error) {
	cl := &kafkatest.Cluster{Brokers: b.brokers, Real: b.real}
	recs, err := cl.ReadAll(ctx, topic)
	if err != nil {
		return readBack{}, err
	}
	var rb readBack
	seen := make(map[string]struct{}, len(recs))
	for _, r := range recs {
		if r.Headers["bridge-gap"] != "" {
			rb.gaps++
			continue
		}
		rb.records++
		k := string(r.Key)
		if _, ok := b.ids[k]; !ok {
			rb.unknown++
			continue
		}
		seen[k] = struct{}{}
	}
	rb.distinct = int64(len(seen))
	return rb, nil
}

// scanLog counts the warn and error lines of a bridge's JSON log and
// returns the first few distinct messages.
func scanLog(path string) (warns, errs int, msgs []string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, nil
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Level   string `json:"level"`
			Message string `json:"message"`
			Error   string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		switch line.Level {
		case "warn":
			warns++
		case "error", "fatal", "panic":
			errs++
		default:
			continue
		}
		m := line.Level + ": " + line.Message
		if line.Error != "" {
			m += ": " + line.Error
		}
		if len(m) > 200 {
			m = m[:200] + "…"
		}
		if !seen[m] && len(msgs) < 3 {
			seen[m] = true
			msgs = append(msgs, m)
		}
	}
	return warns, errs, msgs
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// saveHeap saves the bridge's heap profile (after a GC) and says where, or
// why not.
func saveHeap(ctx context.Context, addr, path string) string {
	return saveProfile(ctx, "http://"+addr+"/debug/pprof/heap?gc=1", path, 30*time.Second, "heap profile (after a GC, every event landed)")
}

// saveProfile saves the profile url serves, within limit, and says where
// (as what), or why not.
func saveProfile(ctx context.Context, url, path string, limit time.Duration, what string) string {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return what + ": " + err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return what + ": " + err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return what + ": " + resp.Status
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return what + ": " + err.Error()
	}
	f, err := os.Create(path)
	if err != nil {
		return what + ": " + err.Error()
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return what + ": " + err.Error()
	}
	return what + ": " + path
}

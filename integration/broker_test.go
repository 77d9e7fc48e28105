package integration_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// outageBroker is a broker the test may take away and bring back.
type outageBroker struct {
	cluster *kafkatest.Cluster
	stop    func(t *testing.T)
	start   func(t *testing.T)
}

// newOutageBroker gives the test a broker of its own: with KAFKA_BROKERS
// set, a second real broker (integration/kafka/kafka.sh on another port,
// restarted on its data); otherwise the embedded one behind a listener that
// can drop off the network. Other tests keep their broker meanwhile.
func newOutageBroker(t *testing.T) *outageBroker {
	t.Helper()
	if os.Getenv("KAFKA_BROKERS") == "" {
		faults := &kafkatest.BrokerFaults{}
		return &outageBroker{
			cluster: embeddedCluster(t, kfake.ListenFn(faults.Listen)),
			stop:    func(*testing.T) { faults.Down() },
			start:   func(*testing.T) { faults.Up() },
		}
	}
	port := os.Getenv("KAFKA_OUTAGE_PORT")
	if port == "" {
		port = "19092"
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "kafka", "kafka.sh")
	run := func(t *testing.T, args ...string) {
		t.Helper()
		cmd := exec.Command(script, args...)
		cmd.Env = append(os.Environ(), "KAFKA_PORT="+port, "KAFKA_KEEP_DATA=1")
		out, err := cmd.CombinedOutput()
		t.Logf("kafka.sh %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("kafka.sh %s: %v", strings.Join(args, " "), err)
		}
	}
	run(t, "clean")
	run(t, "start")
	t.Cleanup(func() { run(t, "clean") })
	c := kafkatest.Start(t)
	c.Brokers = []string{"127.0.0.1:" + port}
	return &outageBroker{
		cluster: c,
		stop:    func(t *testing.T) { run(t, "stop") },
		start:   func(t *testing.T) { run(t, "start") },
	}
}

// rssKiB reads a process's resident (VmRSS) and peak (VmHWM) memory.
func rssKiB(pid int) (rss, peak int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		n, _ := strconv.Atoi(fields[1])
		switch fields[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			peak = n
		}
	}
	return rss, peak
}

// TestBrokerOutageStaysBoundedAndLosesNothing takes the broker away for
// several seconds mid-stream. The bridge must stop reading the upstream
// (close the socket, resume later with since) rather than buffer, and end
// with every event exactly once.
func TestBrokerOutageStaysBoundedAndLosesNothing(t *testing.T) {
	bin := proctest.Build(t)
	broker := newOutageBroker(t)
	h := newHarnessOn(t, broker.cluster, sim.Config{Rate: 1000, BatchSize: 25, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.KafkaWriteTimeout = "2s"
	})
	logFile := proctest.NewLog(t, "bridge.log")
	c := proctest.Start(t, bin, h.env, logFile)
	pid := c.Pid()

	waitFor(t, "the bridge to stream", func() bool { return h.sim.Active() == 1 && h.oursNow() > 500 })
	emittedAtOutage := h.sim.Emitted()
	broker.stop(t)
	outageStart := time.Now()
	waitFor(t, "the bridge to let go of the upstream", func() bool { return h.sim.Active() == 0 })
	// Several seconds of events pile up upstream, not in the bridge.
	peakDuring := 0
	waitFor(t, "4 s of outage", func() bool {
		rss, _ := rssKiB(pid)
		peakDuring = max(peakDuring, rss)
		if h.sim.Active() != 0 {
			t.Fatalf("the bridge reconnected upstream while Kafka was down")
		}
		return time.Since(outageStart) > 4*time.Second
	})
	emittedDuring := h.sim.Emitted() - emittedAtOutage
	outage := time.Since(outageStart)
	broker.start(t)
	_ = h.sim.WaitEmitted(t.Context(), h.sim.Emitted()+1000)
	h.sim.Pause()
	want := len(h.sim.Ledger())
	h.waitOurs(want)
	_, peak := rssKiB(pid)
	c.Stop(t)
	rep := h.verify(h.records())
	t.Logf("outage %s, %d events emitted during it; bridge RSS peak during outage %d KiB, peak over the run %d KiB",
		outage.Round(100*time.Millisecond), emittedDuring, peakDuring, peak)
	requireExactlyOnce(t, rep)
}

// TestCheckpointCompaction lets the log cleaner (the real one, or kfake's)
// compact many checkpoints down to one record per bridge name, then
// restarts the bridge from that record.
func TestCheckpointCompaction(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 800, BatchSize: 20, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.CheckpointInterval = "20ms"
	})
	ctx := t.Context()
	client := h.kafka.Client()
	// Topic settings that let the cleaner run within seconds.
	res, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: h.env.CheckpointTopic, NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{
			{ConfigName: "cleanup.policy", ConfigValue: "compact"},
			{ConfigName: "segment.ms", ConfigValue: "100"},
			{ConfigName: "min.cleanable.dirty.ratio", ConfigValue: "0.01"},
			{ConfigName: "min.compaction.lag.ms", ConfigValue: "0"},
			{ConfigName: "delete.retention.ms", ConfigValue: "100"},
		},
	}}})
	if err != nil || res.Errors[h.env.CheckpointTopic] != nil {
		t.Fatalf("creating the checkpoint topic: %v %v", err, res)
	}
	first := h.start()
	// The cleaner may already be at work, so count what was appended (the
	// end offset: checkpoints and, with transactions, their commit markers),
	// not what is left.
	appended := func() int {
		offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
			h.env.CheckpointTopic: {kafka.LastOffsetOf(0)},
		}})
		if err != nil || offs.Topics[h.env.CheckpointTopic][0].Error != nil {
			return 0
		}
		return int(offs.Topics[h.env.CheckpointTopic][0].LastOffset)
	}
	waitFor(t, "20 records in the checkpoint topic", func() bool { return appended() >= 20 })
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	countOurs := func() (ours, all int) {
		recs, err := h.kafka.ReadAll(ctx, h.env.CheckpointTopic)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if string(r.Key) == h.env.BridgeName {
				ours++
			}
		}
		return ours, len(recs)
	}
	before := appended()
	// The active segment is never cleaned: roll it by appending once more
	// after segment.ms, under another key, then wait for the cleaner.
	waitFor(t, "the cleaner to keep one checkpoint", func() bool {
		_, err := client.Produce(ctx, &kafka.ProduceRequest{Topic: h.env.CheckpointTopic, Partition: 0, RequiredAcks: kafka.RequireAll,
			Records: kafka.NewRecordReader(kafka.Record{Key: kafka.NewBytes([]byte("compaction-trigger")), Value: kafka.NewBytes([]byte("x"))})})
		if err != nil {
			t.Fatal(err)
		}
		if h.kafka.Fake != nil {
			h.kafka.Fake.Compact()
		}
		ours, _ := countOurs()
		return ours == 1
	})
	after, total := countOurs()
	t.Logf("checkpoint topic of %s: %d records appended (checkpoints and markers), %d checkpoint left after compaction (%d records in the topic)", h.env.BridgeName, before, after, total)
	h.start()
	_ = h.sim.WaitEmitted(t.Context(), h.sim.Emitted()+500)
	requireExactlyOnce(t, h.pauseAndVerify())
}

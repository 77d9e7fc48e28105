package javaconsumer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/examples/internal/pipeline"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

const mainClass = "dev.analyticsbridge.example.ExactlyOnceCheck"

// TestJavaConsumerExactlyOnce runs the Java example against what the bridge
// wrote, and requires its verdict to follow the topic: exactly once as
// written, not exactly once with a duplicate it does not deduplicate, an
// event the topic lacks or an event outside its key's partition.
func TestJavaConsumerExactlyOnce(t *testing.T) {
	if strings.TrimSpace(os.Getenv("KAFKA_BROKERS")) == "" {
		t.Skip("the Java consumer example runs against a real Kafka broker: set KAFKA_BROKERS (integration/kafka/kafka.sh start)")
	}
	for _, tool := range []string{"mvn", "java"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the Java consumer example needs %s on PATH (Java 17 and Maven)", tool)
		}
	}
	build(t)

	t.Run("transactions", func(t *testing.T) {
		p := pipeline.Start(t, kafkatest.Start(t), sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 600}, nil)
		p.WaitDelivered(t)
		p.Produce(t, p.OtherKinds()...)
		p.AbortedCopy(t)

		out := requireExit(t, p, 0, nil)
		for _, want := range []string{"verdict: exactly once (read_committed)", "records=600", "gap=2", "conversation-detail=1", "lost=0 duplicates=0"} {
			requireContains(t, out, want)
		}

		// A committed duplicate: the check sees it, unless it deduplicates.
		p.Produce(t, p.CopyOfAnEvent(t))
		out = requireExit(t, p, 1, nil)
		requireContains(t, out, "verdict: NOT exactly once (read_committed)")
		requireContains(t, out, "duplicates=1")
		out = requireExit(t, p, 0, []string{"KAFKA_TRANSACTIONS=false"})
		requireContains(t, out, "verdict: exactly once (read_committed, dedup on bridge-dedup-key)")
		requireContains(t, out, "deduplicated=1")

		// A ledger event missing from the topic (the duplicate deduplicated).
		ledger := ledgerWithOneMore(t, p)
		out = requireExit(t, p, 1, []string{"LEDGER_URL=" + ledger, "KAFKA_TRANSACTIONS=false"})
		requireContains(t, out, "lost=1 duplicates=0")
		requireContains(t, out, "lost event seq 999999 id not-in-the-topic")

		// A copy in a partition its key does not hash to (murmur2).
		parts, err := strconv.Atoi(p.Env.KafkaTopicPartitions)
		if err != nil {
			t.Fatal(err)
		}
		moved := p.CopyOfAnEvent(t)
		moved.Partition = (moved.Partition + 1) % int32(parts)
		p.Produce(t, moved)
		out = requireExit(t, p, 1, nil)
		requireContains(t, out, "misplaced=1")
	})

	t.Run("no transactions", func(t *testing.T) {
		p := pipeline.Start(t, kafkatest.Start(t), sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 600}, func(e *config.Env) {
			e.KafkaTransactions = "false"
		})
		p.WaitDelivered(t)
		out := requireExit(t, p, 0, []string{"KAFKA_TRANSACTIONS=false"})
		requireContains(t, out, "verdict: exactly once (read_committed, dedup on bridge-dedup-key)")
		requireContains(t, out, "records=600")
	})
}

// build compiles the example, offline first: CI fetches its dependencies
// before the tests (.ci/run), and a developer's ~/.m2 has them after one
// online build.
func build(t *testing.T) {
	t.Helper()
	run := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "mvn", append([]string{"-q", "-B", "-Dstyle.color=never"}, args...)...)
		return cmd.CombinedOutput()
	}
	start := time.Now()
	out, err := run("-o", "package")
	if err != nil {
		t.Logf("offline Maven build failed (dependencies not in ~/.m2?); building online:\n%s", tail(out))
		if out, err = run("package"); err != nil {
			t.Fatalf("mvn package: %v\n%s", err, tail(out))
		}
	}
	t.Logf("mvn package took %s", time.Since(start).Round(time.Millisecond))
}

// runJava runs the example against p's topic and ledger, with extra
// environment variables, and returns its exit status and output.
func runJava(t *testing.T, p *pipeline.Pipeline, extra []string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cp := filepath.Join("target", "classes") + string(filepath.ListSeparator) + filepath.Join("target", "lib", "*")
	cmd := exec.CommandContext(ctx, "java", "-cp", cp, mainClass)
	cmd.Env = append(os.Environ(),
		"KAFKA_BROKERS="+p.Env.KafkaBrokers,
		"KAFKA_TOPIC="+p.Env.KafkaTopic,
		"BRIDGE_NAME="+p.Env.BridgeName,
		"LEDGER_URL="+p.LedgerURL(),
		"KAFKA_TRANSACTIONS=true",
		"READ_TIMEOUT_SECONDS=120",
	)
	cmd.Env = append(cmd.Env, extra...) // later entries win
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	default:
		t.Fatalf("running java: %v\n%s", err, out.String())
		return -1, ""
	}
}

func requireExit(t *testing.T, p *pipeline.Pipeline, want int, extra []string) string {
	t.Helper()
	code, out := runJava(t, p, extra)
	t.Logf("java-consumer %v: exit %d\n%s", extra, code, out)
	if code != want {
		t.Fatalf("java-consumer %v exited %d, want %d", extra, code, want)
	}
	return out
}

func requireContains(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q", want)
	}
}

func tail(b []byte) string {
	const n = 4000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// ledgerWithOneMore serves p's ledger plus one event the topic cannot hold.
func ledgerWithOneMore(t *testing.T, p *pipeline.Pipeline) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(p.LedgerURL())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
		_, _ = io.WriteString(w, `{"seq":999999,"id":"not-in-the-topic","time":"2026-01-01T00:00:00.000Z","raw":{"id":"not-in-the-topic"}}`+"\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

package goconsumer

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/examples/internal/pipeline"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// TestConsumeExactlyOnce runs Consume against what the real bridge wrote
// (the embedded broker, or KAFKA_BROKERS when set) and checks the events
// it passes on against the simulator's ledger.
func TestConsumeExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the bridge end to end")
	}
	t.Run("transactions", func(t *testing.T) {
		p := pipeline.Start(t, kafkatest.Start(t), sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 600}, nil)
		p.WaitDelivered(t)
		p.Produce(t, p.OtherKinds()...)
		p.AbortedCopy(t) // invisible under read_committed

		rep, skipped := consumeAll(t, p, false)
		requireExactlyOnce(t, rep)
		if skipped[KindGap] != 2 || skipped["conversation-detail"] != 1 {
			t.Errorf("skipped %v, want 2 gap markers and 1 conversation-detail", skipped)
		}

		// A committed copy: a duplicate without deduplication, none with.
		p.Produce(t, p.CopyOfAnEvent(t))
		rep, _ = consumeAll(t, p, false)
		if rep.Duplicates != 1 || rep.Lost != 0 {
			t.Fatalf("with a committed copy and no dedup: %s, want duplicates=1", rep)
		}
		rep, skipped = consumeAll(t, p, true)
		requireExactlyOnce(t, rep)
		if skipped["duplicate"] != 1 {
			t.Errorf("skipped %v, want 1 duplicate", skipped)
		}
	})
	t.Run("no transactions", func(t *testing.T) {
		p := pipeline.Start(t, kafkatest.Start(t), sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 600}, func(e *config.Env) {
			e.KafkaTransactions = "false"
		})
		p.WaitDelivered(t)
		rep, _ := consumeAll(t, p, true)
		requireExactlyOnce(t, rep)
	})
}

func requireExactlyOnce(t *testing.T, rep verify.Report) {
	t.Helper()
	if !rep.OK() || rep.Records != rep.Events {
		t.Fatalf("not exactly once: %s %v", rep, rep.Examples)
	}
	t.Logf("exactly once: %s", rep)
}

// endKind marks the end of what a test consumes: one record per partition,
// written last, which the consumer skips (its kind is not "event").
const endKind = "test-end"

// consumeAll consumes p's topic up to an end mark on every partition and
// returns the ledger check of the events passed on and the skipped kinds.
func consumeAll(t *testing.T, p *pipeline.Pipeline, dedup bool) (verify.Report, map[string]int) {
	t.Helper()
	parts, err := strconv.Atoi(p.Env.KafkaTopicPartitions)
	if err != nil {
		t.Fatal(err)
	}
	mark := strconv.FormatInt(time.Now().UnixNano(), 10) // this call's marks only
	var ends []*kgo.Record
	for i := range parts {
		ends = append(ends, &kgo.Record{Topic: p.Env.KafkaTopic, Partition: int32(i), Value: []byte(mark), Headers: []kgo.RecordHeader{
			{Key: HeaderKind, Value: []byte(endKind)}, {Key: HeaderName, Value: []byte(p.Env.BridgeName)},
		}})
	}
	p.Produce(t, ends...)

	ctx, cancel := context.WithTimeout(context.Background(), pipeline.WaitLimit)
	defer cancel()
	var (
		mu      sync.Mutex
		recs    []kafkatest.Record
		skipped = map[string]int{}
		ended   = map[int32]bool{}
	)
	o := Options{
		Brokers: p.Cluster.Brokers, Topic: p.Env.KafkaTopic, Bridge: p.Env.BridgeName, Dedup: dedup,
		Skipped: func(kind string, r *kgo.Record) {
			mu.Lock()
			defer mu.Unlock()
			if kind != endKind {
				skipped[kind]++
			} else if string(r.Value) == mark {
				ended[r.Partition] = true
				if len(ended) == parts {
					cancel()
				}
			}
		},
		ClientOpts: p.Cluster.ReaderOpts,
	}
	err = Consume(ctx, o, func(_ context.Context, ev Event) error {
		mu.Lock()
		defer mu.Unlock()
		hs := map[string]string{}
		for _, h := range ev.Record.Headers {
			hs[h.Key] = string(h.Value)
		}
		recs = append(recs, kafkatest.Record{Partition: int(ev.Partition), Offset: ev.Offset, Key: ev.Key, Value: ev.Value, Headers: hs})
		return nil
	})
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ended) != parts {
		t.Fatalf("Consume stopped before the end of %d of %d partitions", parts-len(ended), parts)
	}
	rep, err := verify.ExactlyOnce(p.Sim.Ledger(), recs, p.Env.BridgeName)
	if err != nil {
		t.Fatal(err)
	}
	return rep, skipped
}

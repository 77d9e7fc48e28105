package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// Records other writers add to the bridge's topic, so that an example
// meets what a consumer can meet: other kinds, copies, aborted writes.

func header(k, v string) kgo.RecordHeader { return kgo.RecordHeader{Key: k, Value: []byte(v)} }

// OtherKinds are records a consumer of events must skip: a gap marker, one
// written before bridge-record-kind (bridge-gap only), and a kind a later
// source adds. None of their values is an event.
func (p *Pipeline) OtherKinds() []*kgo.Record {
	name, topic := p.Env.BridgeName, p.Env.KafkaTopic
	gap := []byte(`{"bridge":"` + name + `","gap_from":"2026-01-01T00:00:00Z","gap_to":"2026-01-01T00:01:00Z","reason":"test"}`)
	return []*kgo.Record{
		{Topic: topic, Key: []byte(name), Value: gap, Headers: []kgo.RecordHeader{
			header("bridge-record-kind", "gap"), header("bridge-gap", "true"), header("bridge-name", name),
			header("bridge-dedup-key", "gap:2026-01-01T00:00:00Z"), header("bridge-event-time", "2026-01-01T00:01:00Z"),
		}},
		{Topic: topic, Key: []byte(name), Value: gap, Headers: []kgo.RecordHeader{
			header("bridge-gap", "true"), header("bridge-name", name),
		}},
		{Topic: topic, Key: []byte("c-1"), Value: []byte(`{"conversationId":"c-1"}`), Headers: []kgo.RecordHeader{
			header("bridge-record-kind", "conversation-detail"), header("bridge-name", name),
			header("bridge-dedup-key", "detail:c-1"), header("bridge-event-time", "2026-01-01T00:00:00Z"),
		}},
	}
}

// CopyOfAnEvent is a copy of the first event record of the topic, to the
// same partition: a duplicate as KAFKA_TRANSACTIONS=false can write one.
func (p *Pipeline) CopyOfAnEvent(t testing.TB) *kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLimit)
	defer cancel()
	recs, err := p.Cluster.ReadAll(ctx, p.Env.KafkaTopic)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Headers["bridge-gap"] != "" || r.Headers["bridge-dedup-key"] == "" || r.Headers["bridge-name"] != p.Env.BridgeName {
			continue
		}
		if k := r.Headers["bridge-record-kind"]; k != "" && k != "event" {
			continue
		}
		c := &kgo.Record{Topic: p.Env.KafkaTopic, Partition: int32(r.Partition), Key: r.Key, Value: r.Value}
		for k, v := range r.Headers {
			c.Headers = append(c.Headers, header(k, v))
		}
		return c
	}
	t.Fatal("no event record in the topic")
	return nil
}

// Produce writes recs, committed, each to its Partition (0 unless set).
func (p *Pipeline) Produce(t testing.TB, recs ...*kgo.Record) {
	t.Helper()
	cl := p.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx, cancel := context.WithTimeout(context.Background(), WaitLimit)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("producing test records: %v", err)
	}
}

// AbortedCopy writes a copy of an event in a transaction and aborts it: a
// read_committed consumer never sees it (a read_uncommitted one would
// count a duplicate).
func (p *Pipeline) AbortedCopy(t testing.TB) {
	t.Helper()
	cl := p.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionalID(p.Env.BridgeName+".test-aborted"))
	ctx, cancel := context.WithTimeout(context.Background(), WaitLimit)
	defer cancel()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, p.CopyOfAnEvent(t)).FirstErr(); err != nil {
		t.Fatalf("producing in a transaction: %v", err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatalf("aborting: %v", err)
	}
}

func (p *Pipeline) client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return kafkatest.NewClient(t, p.Cluster.Brokers, append([]kgo.Opt{
		kgo.ClientID("analytics-bridge-example-test"),
		kgo.RetryTimeout(30 * time.Second),
	}, opts...)...)
}

package txn_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
)

// cluster returns the brokers of KAFKA_BROKERS, or of an embedded broker.
func cluster(t *testing.T) []string {
	t.Helper()
	if env := os.Getenv("KAFKA_BROKERS"); env != "" {
		return strings.Split(env, ",")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// setup returns a cluster, a client of it and a new topic of one partition.
func setup(t *testing.T, prefix string) ([]string, *kafka.Client, string) {
	t.Helper()
	brokers := cluster(t)
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 20 * time.Second}
	topic := unique(prefix)
	createTopic(t, client, topic)
	return brokers, client, topic
}

func createTopic(t *testing.T, client *kafka.Client, topic string) {
	t.Helper()
	res, err := client.CreateTopics(t.Context(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		t.Fatal(err)
	}
}

// produce sends batch until the answer is not a retriable one (a topic
// just created on a real broker answers NOT_LEADER for a moment).
func produce(t *testing.T, p *txn.Producer, topic string, batch []byte) (int64, error) {
	t.Helper()
	for {
		off, err := p.Produce(t.Context(), topic, 0, batch)
		if txn.Classify(err) != txn.Retry {
			return off, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unique names a topic for one run (a real cluster keeps earlier runs').
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

func records(values ...string) []kafka.Record {
	out := make([]kafka.Record, len(values))
	for i, v := range values {
		out[i] = kafka.Record{Time: time.Now(), Key: kafka.NewBytes([]byte("k")), Value: kafka.NewBytes([]byte(v)),
			Headers: []kafka.Header{{Key: "h", Value: []byte(v)}}}
	}
	return out
}

// readCommitted returns the values of topic[0] a read_committed consumer
// sees, read by franz-go (independent of the code under test).
func readCommitted(t *testing.T, brokers []string, topic string) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// A marker record written after everything else tells when the read is done.
	var out []string
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("end")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading %s: %v", topic, err)
		}
		done := false
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Value) == "end" {
				done = true
				return
			}
			out = append(out, string(r.Value))
		})
		if done {
			return out
		}
	}
}

func TestIdempotentResendIsDeduplicated(t *testing.T) {
	brokers, client, topic := setup(t, "txn-idem")
	ctx := t.Context()
	p, err := txn.Init(ctx, client, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.Encode(records("a", "b"), kafka.Lz4, 0)
	if err != nil {
		t.Fatal(err)
	}
	off1, err := produce(t, p, topic, first)
	if err != nil {
		t.Fatal(err)
	}
	// The answer "was lost": the same bytes again must not append.
	off2, err := produce(t, p, topic, first)
	if err != nil {
		t.Fatalf("resending the same batch: %v", err)
	}
	if off2 != off1 && off2 != -1 {
		t.Errorf("resent batch answered offset %d, first send %d", off2, off1)
	}
	next, err := p.Encode(records("c"), 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := produce(t, p, topic, next); err != nil {
		t.Fatal(err)
	}
	// A sequence gap is refused and classified as needing a new epoch.
	gap, err := p.Encode(records("d"), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := produce(t, p, topic, gap); txn.Classify(err) != txn.Reinit {
		t.Errorf("sequence gap: %v (%s), want reinit", err, txn.Classify(err))
	}
	if got := strings.Join(readCommitted(t, brokers, topic), ","); got != "a,b,c" {
		t.Errorf("topic holds %q, want a,b,c", got)
	}
}

func TestTransactionsCommitAbortAndFence(t *testing.T) {
	brokers, client, topic := setup(t, "txn-tx")
	ctx := t.Context()
	txnID := topic + "-id"
	old, err := txn.Init(ctx, client, txnID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	write := func(p *txn.Producer, seq int32, values ...string) error {
		if err := p.AddPartitions(ctx, topic, 0); err != nil {
			return err
		}
		b, err := p.Encode(records(values...), kafka.Lz4, seq)
		if err != nil {
			t.Fatal(err)
		}
		_, err = produce(t, p, topic, b)
		return err
	}
	if err := write(old, 0, "committed"); err != nil {
		t.Fatal(err)
	}
	if err := old.EndTxn(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := write(old, 1, "aborted"); err != nil {
		t.Fatal(err)
	}
	if err := old.EndTxn(ctx, false); err != nil {
		t.Fatal(err)
	}
	// An open transaction of the old instance is aborted by the new one.
	if err := write(old, 2, "zombie"); err != nil {
		t.Fatal(err)
	}
	current, err := txn.Init(ctx, client, txnID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if current.Identity().Epoch <= old.Identity().Epoch && current.Identity().ID == old.Identity().ID {
		t.Errorf("epoch did not grow: %+v then %+v", old.Identity(), current.Identity())
	}
	if err := write(old, 3, "fenced"); txn.Classify(err) != txn.Fenced || !errors.Is(err, txn.ErrFenced) {
		t.Errorf("old producer after fencing: %v (%s), want fenced", err, txn.Classify(err))
	}
	if err := old.EndTxn(ctx, true); txn.Classify(err) != txn.Fenced {
		t.Errorf("old producer's commit after fencing: %v, want fenced", err)
	}
	if err := write(current, 0, "new"); err != nil {
		t.Fatal(err)
	}
	if err := current.EndTxn(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(readCommitted(t, brokers, topic), ","); got != "committed,new" {
		t.Errorf("read_committed sees %q, want committed,new", got)
	}
}

func TestClassify(t *testing.T) {
	tests := map[txn.Outcome][]error{
		txn.Done: {nil, kafka.DuplicateSequenceNumber},
		txn.Retry: {kafka.RequestTimedOut, kafka.NotCoordinatorForGroup, kafka.ConcurrentTransactions,
			kafka.GroupLoadInProgress, kafka.NotLeaderForPartition, context.DeadlineExceeded, errors.New("unexpected EOF")},
		txn.Fenced: {kafka.ProducerFenced, kafka.InvalidProducerEpoch, kafka.InvalidTransactionState},
		txn.Reinit: {kafka.OutOfOrderSequenceNumber, kafka.UnknownProducerId},
		txn.Permanent: {kafka.MessageSizeTooLarge, kafka.TopicAuthorizationFailed, kafka.TransactionalIDAuthorizationFailed,
			kafka.InvalidMessage, fmt.Errorf("encoding: %w", txn.ErrEncoding)},
	}
	for want, errs := range tests {
		for _, err := range errs {
			if got := txn.Classify(err); got != want {
				t.Errorf("Classify(%v) = %s, want %s", err, got, want)
			}
		}
	}
}

package logread_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/logread"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// txnTopic returns a client of the test's cluster, its seed brokers for a
// franz-go client, and a topic name unique to this run.
func txnTopic(t *testing.T, prefix string) (*kafka.Client, []string, string) {
	t.Helper()
	client := kafkatest.Start(t).Client()
	return client, strings.Split(client.Addr.String(), ","), fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

// TestReadPartitionSkipsAbortedTransactions writes, with franz-go's
// transactional producer, a committed transaction, an aborted one and a
// committed one again, and a non-transactional record: ReadPartition must
// return exactly what a read_committed consumer sees.
func TestReadPartitionSkipsAbortedTransactions(t *testing.T) {
	client, brokers, topic := txnTopic(t, "read-committed")
	ctx := t.Context()
	res, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}})
	if err != nil || res.Errors[topic] != nil {
		t.Fatalf("creating %s: %v %v", topic, err, res)
	}
	tx, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.TransactionalID(topic), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	write := func(commit bool, values ...string) {
		t.Helper()
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if err := tx.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	write(true, "c1", "c2")
	write(false, "a1", "a2", "a3")
	write(true, "c3")
	plain, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.ProduceSync(ctx, &kgo.Record{Value: []byte("p1")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(0)}}})
	if err != nil {
		t.Fatal(err)
	}
	end := offs.Topics[topic][0].LastOffset
	var got []string
	err = logread.ReadPartition(ctx, client, topic, 0, 0, end, func(r kafka.Record) error {
		v, err := io.ReadAll(r.Value)
		got = append(got, string(v))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "c1,c2,c3,p1" {
		t.Errorf("ReadPartition returned %v, want the committed records c1,c2,c3,p1 (log end %d)", got, end)
	}
}

// TestReadPartitionSkipsAbortedTransactionsInACutFetch reads an aborted
// transaction followed by more than one fetch's worth of committed
// records: the first fetch answer is cut by its size bound, and must still
// list the aborted transaction. The embedded broker (kfake) leaves that
// list out when the request-wide bound, rather than the partition's, cuts
// the answer; the rebuilt dedup window then held the keys of aborted
// records, and their messages were dropped as duplicates (lost).
func TestReadPartitionSkipsAbortedTransactionsInACutFetch(t *testing.T) {
	client, brokers, topic := txnTopic(t, "read-committed-cut")
	ctx := t.Context()
	res, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}})
	if err != nil || res.Errors[topic] != nil {
		t.Fatalf("creating %s: %v %v", topic, err, res)
	}
	tx, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.TransactionalID(topic), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	write := func(commit bool, values ...[]byte) {
		t.Helper()
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if err := tx.ProduceSync(ctx, &kgo.Record{Value: v}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	write(false, []byte("a1"), []byte("a2"))
	big := make([]byte, 512<<10)
	_, _ = rand.Read(big) // incompressible: each batch takes its size on the log
	var committed int
	for n := 0; n < 20; n++ { // 10 MiB: more than one fetch answer holds
		write(true, big)
		committed++
	}
	offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(0)}}})
	if err != nil {
		t.Fatal(err)
	}
	end := offs.Topics[topic][0].LastOffset
	var got []string
	err = logread.ReadPartition(ctx, client, topic, 0, 0, end, func(r kafka.Record) error {
		v, err := io.ReadAll(r.Value)
		if len(v) < 16 {
			got = append(got, string(v))
		} else {
			got = append(got, "big")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != committed || got[0] != "big" {
		t.Errorf("ReadPartition returned %d records beginning %v, want the %d committed ones only", len(got), got[:min(3, len(got))], committed)
	}
}

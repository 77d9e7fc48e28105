package bridge

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/analytics-bridge/analytics-bridge/bridge/txn"
)

// Batches stay under batchBytes counting keys and headers too (the broker
// refuses an oversized batch on every retry), keep per-partition order,
// and report each record's offset.
func TestProducerBatchesFitAndKeepOrder(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	requests := cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Observe: true, Count: -1})
	client := &kafka.Client{Addr: kafka.TCP(cluster.ListenAddrs()...), Timeout: 10 * time.Second}

	var mu sync.Mutex
	var offsets []int64
	done := make(chan struct{})
	const n = 10
	pid, err := txn.Init(t.Context(), client, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p := newProducer(client, pid, nil, producerConfig{batchSize: 100, batchBytes: 1000, linger: 50 * time.Millisecond, writeTimeout: 5 * time.Second},
		map[string]int{"t": 1}, func(r *outRecord, offset int64, err error) {
			if err != nil {
				t.Errorf("record %d: %v", r.seq, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if int64(r.seq) != offset {
				t.Errorf("record %d written at offset %d: order broken", r.seq, offset)
			}
			offsets = append(offsets, offset)
			if len(offsets) == n {
				close(done)
			}
		})
	for i := 0; i < n; i++ {
		r := &outRecord{seq: uint64(i), topic: "t", key: []byte(strings.Repeat("k", 100)), value: []byte(strings.Repeat("v", 200)),
			headers: []kafka.Header{{Key: HeaderDedupKey, Value: []byte(strings.Repeat("d", 100))}}}
		if r.size() <= 400 {
			t.Fatalf("size %d ignores keys and headers", r.size())
		}
		if err := p.send(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("records not acknowledged")
	}
	p.close()
	// 10 records of ~450 bytes, at most 2 per 1000-byte batch.
	if got := requests.Hits(); got < n/2 {
		t.Errorf("%d produce requests for %d records: batches exceeded batchBytes", got, n)
	}
}

// An idle partition sends at once: the linger (here an hour) applies only
// while records pile up behind a request in flight.
func TestIdlePartitionSendsAtOnce(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	client := &kafka.Client{Addr: kafka.TCP(cluster.ListenAddrs()...), Timeout: 10 * time.Second}
	pid, err := txn.Init(t.Context(), client, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	acked := make(chan error, 1)
	p := newProducer(client, pid, nil, producerConfig{batchSize: 100, batchBytes: 1 << 20, linger: time.Hour, writeTimeout: 5 * time.Second},
		map[string]int{"t": 1}, func(_ *outRecord, _ int64, err error) { acked <- err })
	defer p.close()
	if err := p.send(t.Context(), &outRecord{topic: "t", value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-acked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a record to an idle partition waited for the linger")
	}
}

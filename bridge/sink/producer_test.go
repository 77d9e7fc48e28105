package sink

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
)

// idempotentOnKfake starts an embedded broker with a topic "t" of the
// given partitions, and an idempotent producer id on it.
func idempotentOnKfake(t *testing.T, partitions int32) (*kfake.Cluster, *kafka.Client, *txn.Producer) {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	client := &kafka.Client{Addr: kafka.TCP(cluster.ListenAddrs()...), Timeout: 10 * time.Second}
	pid, err := txn.Init(t.Context(), client, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return cluster, client, pid
}

// Batches stay under batchBytes counting keys and headers too (the broker
// refuses an oversized batch on every retry), keep per-partition order,
// and report each record's offset.
func TestProducerBatchesFitAndKeepOrder(t *testing.T) {
	cluster, client, pid := idempotentOnKfake(t, 1)
	requests := cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Observe: true, Count: -1})

	var mu sync.Mutex
	var offsets []int64
	done := make(chan struct{})
	const n = 10
	p := newTestProducer(client, pid, ProducerConfig{BatchSize: 100, BatchBytes: 1000, Linger: 50 * time.Millisecond, WriteTimeout: 5 * time.Second},
		map[string]int{"t": 1}, func(r *Record, offset int64, err error) {
			if err != nil {
				t.Errorf("record %d: %v", r.Seq, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if int64(r.Seq) != offset {
				t.Errorf("record %d written at offset %d: order broken", r.Seq, offset)
			}
			offsets = append(offsets, offset)
			if len(offsets) == n {
				close(done)
			}
		})
	for i := 0; i < n; i++ {
		r := &Record{Seq: uint64(i), Topic: "t", Key: []byte(strings.Repeat("k", 100)), Value: []byte(strings.Repeat("v", 200)),
			Headers: []kafka.Header{{Key: "bridge-dedup-key", Value: []byte(strings.Repeat("d", 100))}}}
		if r.Size() <= 400 {
			t.Fatalf("size %d ignores keys and headers", r.Size())
		}
		if err := p.Send(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("records not acknowledged")
	}
	p.Close()
	// 10 records of ~450 bytes, at most 2 per 1000-byte batch.
	if got := requests.Hits(); got < n/2 {
		t.Errorf("%d produce requests for %d records: batches exceeded batchBytes", got, n)
	}
}

// An idle partition sends at once: the linger (here an hour) applies only
// while records pile up behind a request in flight.
func TestIdlePartitionSendsAtOnce(t *testing.T) {
	_, client, pid := idempotentOnKfake(t, 1)
	acked := make(chan error, 1)
	p := newTestProducer(client, pid, ProducerConfig{BatchSize: 100, BatchBytes: 1 << 20, Linger: time.Hour, WriteTimeout: 5 * time.Second},
		map[string]int{"t": 1}, func(_ *Record, _ int64, err error) { acked <- err })
	defer p.Close()
	if err := p.Send(t.Context(), &Record{Topic: "t", Value: []byte("v")}); err != nil {
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

// Every partition encodes batch after batch into the same buffer: what a
// consumer reads back (franz-go, independent of the encoder) is exactly
// what was sent, null and empty keys and header values, times and order
// included, for batches of varying sizes with and without compression.
func TestProducerReusedEncoderWritesEveryRecordExactly(t *testing.T) {
	for _, codec := range []kafka.Compression{0, kafka.Lz4, kafka.Gzip} {
		t.Run(codec.String(), func(t *testing.T) {
			cluster, client, pid := idempotentOnKfake(t, 2)
			const n = 300
			sent := make([]*Record, n)
			var acked sync.WaitGroup
			acked.Add(n)
			p := newTestProducer(client, pid, ProducerConfig{BatchSize: 50, BatchBytes: 8000, Linger: time.Millisecond, WriteTimeout: 5 * time.Second, Compression: codec},
				map[string]int{"t": 2}, func(r *Record, _ int64, err error) {
					if err != nil {
						t.Errorf("record %d: %v", r.Seq, err)
					}
					acked.Done()
				})
			base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			for i := range sent {
				r := &Record{Seq: uint64(i), Topic: "t", Partition: i % 2, Time: base.Add(time.Duration(i*7919%1000) * time.Millisecond),
					Value:   []byte(strings.Repeat(string(rune('a'+i%26)), (i*37)%3000)),
					Headers: []kafka.Header{{Key: "bridge-dedup-key", Value: []byte(fmt.Sprint("d-", i))}, {Key: "empty", Value: []byte{}}, {Key: "null"}}}
				switch i % 3 {
				case 0:
					r.Key = []byte(fmt.Sprint("k-", i))
				case 1:
					r.Key = []byte{}
				}
				sent[i] = r
				if err := p.Send(t.Context(), r); err != nil {
					t.Fatal(err)
				}
			}
			acked.Wait()
			p.Close()

			cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...),
				kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"t": {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart()}}))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			next := [2]int{0, 1} // the index of the next record expected per partition
			for got := 0; got < n; {
				fs := cl.PollFetches(ctx)
				if err := fs.Err0(); err != nil {
					t.Fatal(err)
				}
				fs.EachRecord(func(r *kgo.Record) {
					got++
					i := next[r.Partition]
					next[r.Partition] += 2
					want := sent[i]
					if (r.Key == nil) != (want.Key == nil) || !bytes.Equal(r.Key, want.Key) || !bytes.Equal(r.Value, want.Value) ||
						!r.Timestamp.Equal(want.Time) || len(r.Headers) != len(want.Headers) {
						t.Fatalf("partition %d offset %d: got key %q, %d value bytes, time %v; want record %d", r.Partition, r.Offset, r.Key, len(r.Value), r.Timestamp, i)
					}
					for j, h := range r.Headers {
						w := want.Headers[j]
						if h.Key != w.Key || (h.Value == nil) != (w.Value == nil) || !bytes.Equal(h.Value, w.Value) {
							t.Fatalf("record %d: header %d is %q=%q", i, j, h.Key, h.Value)
						}
					}
				})
			}
		})
	}
}

// newTestProducer is a producer without transactions: records are
// acknowledged as soon as they are written.
func newTestProducer(client *kafka.Client, pid *txn.Producer, cfg ProducerConfig, partitions map[string]int, onAck AckFunc) *Producer {
	return NewProducer(client, pid, Immediate(onAck), cfg, partitions, onAck)
}

// A record keeps up to four headers in its own room and allocates more.
func TestRecordHeadersBeyondTheRoom(t *testing.T) {
	var r Record
	hs := make([]kafka.Header, 6)
	for i := range hs {
		hs[i] = kafka.Header{Key: fmt.Sprint("h", i), Value: []byte{byte(i)}}
	}
	r.SetHeaders(hs[:4]...)
	if len(r.Headers) != 4 || &r.Headers[0] != &r.headerRoom[0] {
		t.Errorf("four headers: %d, in the room: %v", len(r.Headers), len(r.Headers) > 0 && &r.Headers[0] == &r.headerRoom[0])
	}
	r.SetHeaders(hs...)
	if len(r.Headers) != 6 || r.Headers[5].Key != "h5" {
		t.Errorf("six headers became %v", r.Headers)
	}
}

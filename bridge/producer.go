package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// outRecord is one record to write and the tracker sequence number that its
// acknowledgement completes.
type outRecord struct {
	seq       uint64
	topic     string
	partition int
	key       []byte
	value     []byte
	headers   []kafka.Header
	time      time.Time
}

// ackFunc receives the outcome of every record the producer sent: the
// offset it was written at, or the error that makes its fate unknown.
// It is called from the producer's partition goroutines.
// recordOverhead approximates a record's framing in a batch (length,
// attributes, timestamp and offset deltas, header counts), so that batches
// stay under the broker's message size limit.
const recordOverhead = 32

// size estimates r's share of a record batch.
func (r *outRecord) size() int {
	n := recordOverhead + len(r.key) + len(r.value)
	for _, h := range r.headers {
		n += len(h.Key) + len(h.Value) + 4
	}
	return n
}

type ackFunc func(r *outRecord, offset int64, err error)

type producerConfig struct {
	batchSize    int
	batchBytes   int
	linger       time.Duration
	writeTimeout time.Duration
	compression  kafka.Compression
}

type topicPartition struct {
	topic     string
	partition int
}

// producer writes records with kafka-go's version-negotiated Produce API,
// one goroutine per topic-partition, one request in flight per partition.
//
// Why not kafka.Writer: exactly-once needs (1) the offset of every record,
// to bound the restart scan, (2) no retry the bridge does not decide on
// (a retried batch whose first answer was lost is written twice), and
// (3) strict per-partition order. One sequential request per partition gives
// all three; partitions still write in parallel.
//
// After the first failure the producer stops sending: every later record of
// that partition is failed without a request, because the bridge abandons
// the epoch and rebuilds its state from the topic anyway.
type producer struct {
	client *kafka.Client
	cfg    producerConfig
	onAck  ackFunc

	ctx    context.Context // aborts in-flight requests
	cancel context.CancelFunc
	queues map[topicPartition]chan *outRecord
	wg     sync.WaitGroup // one per queue
}

func newProducer(client *kafka.Client, cfg producerConfig, partitions map[string]int, onAck ackFunc) *producer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &producer{
		client: client, cfg: cfg, onAck: onAck,
		ctx: ctx, cancel: cancel,
		queues: make(map[topicPartition]chan *outRecord),
	}
	for topic, n := range partitions {
		for part := 0; part < n; part++ {
			q := make(chan *outRecord, cfg.batchSize)
			p.queues[topicPartition{topic, part}] = q
			p.wg.Add(1)
			go p.run(topic, part, q)
		}
	}
	return p
}

// send queues r; it blocks while the partition's queue is full.
func (p *producer) send(ctx context.Context, r *outRecord) error {
	q, ok := p.queues[topicPartition{r.topic, r.partition}]
	if !ok {
		return fmt.Errorf("producer: no partition %d of topic %q", r.partition, r.topic)
	}
	select {
	case q <- r:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// close writes what is queued and waits for every answer. The caller must
// not call send concurrently or afterwards.
func (p *producer) close() {
	for _, q := range p.queues {
		close(q)
	}
	p.wg.Wait()
	p.cancel()
}

// abort cancels in-flight requests, fails what is queued, and waits.
func (p *producer) abort() {
	p.cancel()
	p.close()
}

var errProducerStopped = errors.New("producer stopped after an earlier failure")

func (p *producer) run(topic string, partition int, q chan *outRecord) {
	defer p.wg.Done()
	var failed error
	var carry *outRecord // read, but did not fit the previous batch
	batch := make([]*outRecord, 0, p.cfg.batchSize)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		first := carry
		carry = nil
		if first == nil {
			var ok bool
			if first, ok = <-q; !ok {
				return
			}
		}
		batch = append(batch[:0], first)
		size := first.size()
		open := true
		if p.cfg.linger > 0 {
			linger.Reset(p.cfg.linger)
		}
		for len(batch) < p.cfg.batchSize {
			var r *outRecord
			received, ok := false, false
			if p.cfg.linger > 0 {
				select {
				case r, ok = <-q:
					received = true
				case <-linger.C:
				}
			} else {
				select {
				case r, ok = <-q:
					received = true
				default:
				}
			}
			if !received {
				break // the linger is over, or nothing more is queued
			}
			if !ok {
				open = false
				break
			}
			if size+r.size() > p.cfg.batchBytes {
				carry = r // starts the next batch
				break
			}
			batch, size = append(batch, r), size+r.size()
		}
		linger.Stop()

		if failed == nil && p.ctx.Err() != nil {
			failed = errProducerStopped
		}
		if failed != nil {
			for _, r := range batch {
				p.onAck(r, -1, failed)
			}
		} else if base, err := p.produce(topic, partition, batch); err != nil {
			failed = err
			for _, r := range batch {
				p.onAck(r, -1, err)
			}
		} else {
			for i, r := range batch {
				p.onAck(r, base+int64(i), nil)
			}
		}
		if !open {
			return // closed and drained; a carried record never comes with a closed queue
		}
	}
}

func (p *producer) produce(topic string, partition int, batch []*outRecord) (int64, error) {
	records := make([]kafka.Record, len(batch))
	for i, r := range batch {
		records[i] = kafka.Record{
			Time:    r.time,
			Key:     bytesOrNil(r.key),
			Value:   kafka.NewBytes(r.value),
			Headers: r.headers,
		}
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.writeTimeout)
	defer cancel()
	res, err := p.client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        topic,
		Partition:    partition,
		RequiredAcks: kafka.RequireAll,
		Compression:  p.cfg.compression,
		Records:      kafka.NewRecordReader(records...),
	})
	if err != nil {
		return 0, fmt.Errorf("producing %d records to %s[%d]: %w", len(batch), topic, partition, err)
	}
	if res.Error != nil {
		return 0, fmt.Errorf("producing %d records to %s[%d]: %w", len(batch), topic, partition, res.Error)
	}
	for i, rerr := range res.RecordErrors {
		// Kafka rejects a batch as a whole; a per-record error means none
		// of it was appended, but treat it as unknown all the same.
		return 0, fmt.Errorf("producing to %s[%d]: record %d: %w", topic, partition, i, rerr)
	}
	return res.BaseOffset, nil
}

func bytesOrNil(b []byte) kafka.Bytes {
	if b == nil {
		return nil
	}
	return kafka.NewBytes(b)
}

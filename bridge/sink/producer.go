package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// AckFunc receives the outcome of every record the producer sent: the
// offset it was written at (-1 when the broker did not say), or the error
// that ends the epoch. It is called from the producer's partition
// goroutines, or, in a transaction, by the committer once the transaction
// that holds the record is about to commit.
type AckFunc func(r *Record, offset int64, err error)

// ProducerConfig is what the producer needs of the configuration.
type ProducerConfig struct {
	BatchSize    int           // KAFKA_BATCH_SIZE
	BatchBytes   int           // KAFKA_BATCH_BYTES
	Linger       time.Duration // KAFKA_LINGER
	WriteTimeout time.Duration // KAFKA_WRITE_TIMEOUT
	Compression  kafka.Compression
	// Observe, when set, is told of every batch written: its records, its
	// estimated size and the time from sending it to the definite answer.
	Observe func(records, bytes int, took time.Duration)
}

// Codec maps KAFKA_COMPRESSION, validated by package config, to kafka-go.
func Codec(c config.Compression) kafka.Compression {
	switch c {
	case config.CompressionGzip:
		return kafka.Gzip
	case config.CompressionSnappy:
		return kafka.Snappy
	case config.CompressionLz4:
		return kafka.Lz4
	case config.CompressionZstd:
		return kafka.Zstd
	}
	return 0 // config.CompressionNone
}

type topicPartition struct {
	topic     string
	partition int
}

// producer writes records as idempotent (and, with a transaction, as
// transactional) batches through kafka-go's RawProduce, one goroutine per
// topic-partition and one request in flight per partition.
//
// Why not kafka.Writer: exactly-once needs (1) the offset of every record,
// to bound the restart scan, (2) producer ids and sequence numbers, so that
// a batch resent after a lost answer is appended once, and (3) strict
// per-partition order. A batch whose outcome is unknown is resent with the
// same bytes until the broker answers for sure; sequences advance only on
// a definite success.
//
// After the first failure the producer stops sending: every later record of
// that partition is failed without a request, because the bridge abandons
// the epoch and rebuilds its state from the topic anyway.
type Producer struct {
	client *kafka.Client
	pid    *txn.Producer
	gate   Gate
	cfg    ProducerConfig
	onAck  AckFunc

	ctx    context.Context // aborts in-flight requests
	cancel context.CancelFunc
	queues map[topicPartition]chan *Record
	wg     sync.WaitGroup // one per queue
}

// NewProducer starts one goroutine per partition of partitions (topic:
// count); every batch passes through gate, and every record's outcome
// reaches onAck (successes through the gate).
func NewProducer(client *kafka.Client, pid *txn.Producer, gate Gate, cfg ProducerConfig, partitions map[string]int, onAck AckFunc) *Producer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Producer{
		client: client, pid: pid, gate: gate, cfg: cfg, onAck: onAck,
		ctx: ctx, cancel: cancel,
		queues: make(map[topicPartition]chan *Record),
	}
	for topic, n := range partitions {
		for part := 0; part < n; part++ {
			q := make(chan *Record, cfg.BatchSize)
			p.queues[topicPartition{topic, part}] = q
			p.wg.Add(1)
			go p.run(topicPartition{topic, part}, q)
		}
	}
	return p
}

// Send queues r; it blocks while the partition's queue is full.
func (p *Producer) Send(ctx context.Context, r *Record) error {
	q, ok := p.queues[topicPartition{r.Topic, r.Partition}]
	if !ok {
		return fmt.Errorf("producer: no partition %d of topic %q", r.Partition, r.Topic)
	}
	if r.Queued.IsZero() {
		r.Queued = time.Now()
	}
	select {
	case q <- r:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Close writes what is queued and waits for every answer. The caller must
// not call send concurrently or afterwards.
func (p *Producer) Close() {
	for _, q := range p.queues {
		close(q)
	}
	p.wg.Wait()
	p.cancel()
}

// Abort cancels in-flight requests, fails what is queued, and waits.
func (p *Producer) Abort() {
	p.cancel()
	p.Close()
}

// Cancel cancels in-flight requests; a Close in progress then ends soon.
func (p *Producer) Cancel() { p.cancel() }

var errProducerStopped = errors.New("producer stopped after an earlier failure")

// run owns one partition: its queue, its batches and its sequence number.
func (p *Producer) run(tp topicPartition, q chan *Record) {
	defer p.wg.Done()
	var failed error
	var seq int32
	var carry *Record // read, but did not fit the previous batch
	batch := make([]*Record, 0, p.cfg.BatchSize)
	enc := &batchEncoder{records: make([]txn.Record, 0, p.cfg.BatchSize)}
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	var lastWritten time.Time // when the last request was answered
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
		size := first.Size()
		open := true
		// A record that arrived while no request was in flight goes at
		// once: the linger only helps while records pile up behind a
		// request (a backlog), and then it counts from the first record's
		// arrival, not from now.
		idle := first.Queued.After(lastWritten)
		lingering := false
		if wait := time.Until(first.Queued.Add(p.cfg.Linger)); p.cfg.Linger > 0 && !idle && wait > 0 {
			linger.Reset(wait)
			lingering = true
		}
		for len(batch) < p.cfg.BatchSize {
			var r *Record
			received, ok := false, false
			if lingering {
				select {
				case r, ok = <-q:
					received = true
				case <-linger.C:
					lingering = false
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
			rsize := r.Size()
			if size+rsize > p.cfg.BatchBytes {
				carry = r // starts the next batch
				break
			}
			batch, size = append(batch, r), size+rsize
		}
		linger.Stop()

		if failed == nil && p.ctx.Err() != nil {
			failed = errProducerStopped
		}
		if failed == nil {
			failed = p.write(tp, batch, size, &seq, enc)
		}
		lastWritten = time.Now()
		if failed != nil {
			for _, r := range batch {
				p.onAck(r, -1, failed)
			}
		}
		// The reused slice must not keep written records, and through their
		// zero-copy values whole frames, alive until it is refilled.
		clear(batch)
		if !open {
			return // closed and drained; a carried record never comes with a closed queue
		}
	}
}

// write sends one batch of size bytes (Record.size), inside the open
// transaction when there is one, and acknowledges its records.
func (p *Producer) write(tp topicPartition, batch []*Record, size int, seq *int32, enc *batchEncoder) error {
	if err := p.gate.Enter(p.ctx, tp.topic, tp.partition); err != nil {
		return err
	}
	defer p.gate.Leave()
	started := time.Now()
	base, err := p.produce(tp, batch, seq, enc)
	if err != nil {
		return err
	}
	if p.cfg.Observe != nil {
		p.cfg.Observe(len(batch), size, time.Since(started))
	}
	for i, r := range batch {
		off := int64(-1)
		if base >= 0 {
			off = base + int64(i)
		}
		p.gate.Ack(r, off)
	}
	return nil
}

// Gate is what every batch passes on its way to the broker: the open
// transaction (Transaction), or nothing (Immediate).
type Gate interface {
	// Enter admits one batch to the partition; Leave once it is answered.
	Enter(ctx context.Context, topic string, partition int) error
	Leave()
	// Ack acknowledges a written record: at once, or once the transaction
	// that holds it is about to commit.
	Ack(r *Record, offset int64)
}

// Immediate is the gate of idempotent writes without transactions: every
// batch goes at once, and a written record is acknowledged at once.
type Immediate AckFunc

// Enter admits every batch.
func (Immediate) Enter(context.Context, string, int) error { return nil }

// Leave does nothing.
func (Immediate) Leave() {}

// Ack passes the acknowledgement on.
func (g Immediate) Ack(r *Record, offset int64) { g(r, offset, nil) }

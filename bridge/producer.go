package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/txn"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// ackFunc receives the outcome of every record the producer sent: the
// offset it was written at (-1 when the broker did not say), or the error
// that ends the epoch. It is called from the producer's partition
// goroutines, or, in a transaction, by the committer once the transaction
// that holds the record is about to commit.
type ackFunc func(r *outRecord, offset int64, err error)

type producerConfig struct {
	batchSize    int
	batchBytes   int
	linger       time.Duration
	writeTimeout time.Duration
	compression  kafka.Compression
	// observe, when set, is told of every batch written: its records, its
	// estimated size and the time from sending it to the definite answer.
	observe func(records, bytes int, took time.Duration)
}

// codec maps KAFKA_COMPRESSION, validated by package config, to kafka-go.
func codec(c config.Compression) kafka.Compression {
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
type producer struct {
	client *kafka.Client
	pid    *txn.Producer
	tx     *transaction // nil without transactions
	cfg    producerConfig
	onAck  ackFunc

	ctx    context.Context // aborts in-flight requests
	cancel context.CancelFunc
	queues map[topicPartition]chan *outRecord
	wg     sync.WaitGroup // one per queue
}

func newProducer(client *kafka.Client, pid *txn.Producer, tx *transaction, cfg producerConfig, partitions map[string]int, onAck ackFunc) *producer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &producer{
		client: client, pid: pid, tx: tx, cfg: cfg, onAck: onAck,
		ctx: ctx, cancel: cancel,
		queues: make(map[topicPartition]chan *outRecord),
	}
	for topic, n := range partitions {
		for part := 0; part < n; part++ {
			q := make(chan *outRecord, cfg.batchSize)
			p.queues[topicPartition{topic, part}] = q
			p.wg.Add(1)
			go p.run(topicPartition{topic, part}, q)
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
	if r.queued.IsZero() {
		r.queued = time.Now()
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

// run owns one partition: its queue, its batches and its sequence number.
func (p *producer) run(tp topicPartition, q chan *outRecord) {
	defer p.wg.Done()
	var failed error
	var seq int32
	var carry *outRecord // read, but did not fit the previous batch
	batch := make([]*outRecord, 0, p.cfg.batchSize)
	enc := &batchEncoder{records: make([]txn.Record, 0, p.cfg.batchSize)}
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
		size := first.size()
		open := true
		// A record that arrived while no request was in flight goes at
		// once: the linger only helps while records pile up behind a
		// request (a backlog), and then it counts from the first record's
		// arrival, not from now.
		idle := first.queued.After(lastWritten)
		lingering := false
		if wait := time.Until(first.queued.Add(p.cfg.linger)); p.cfg.linger > 0 && !idle && wait > 0 {
			linger.Reset(wait)
			lingering = true
		}
		for len(batch) < p.cfg.batchSize {
			var r *outRecord
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
			rsize := r.size()
			if size+rsize > p.cfg.batchBytes {
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

// write sends one batch of size bytes (outRecord.size), inside the open
// transaction when there is one, and acknowledges its records.
func (p *producer) write(tp topicPartition, batch []*outRecord, size int, seq *int32, enc *batchEncoder) error {
	ack := p.onAck
	if p.tx != nil {
		if err := p.tx.enter(p.ctx, tp); err != nil {
			return err
		}
		defer p.tx.leave()
		ack = p.tx.ackLater
	}
	started := time.Now()
	base, err := p.produce(tp, batch, seq, enc)
	if err != nil {
		return err
	}
	if p.cfg.observe != nil {
		p.cfg.observe(len(batch), size, time.Since(started))
	}
	for i, r := range batch {
		off := int64(-1)
		if base >= 0 {
			off = base + int64(i)
		}
		ack(r, off, nil)
	}
	return nil
}

// batchEncoder is the encoding state of one partition goroutine, reused
// from batch to batch so that encoding allocates nothing per record.
//
// The encoder's buffer is overwritten by the next batch, which is safe
// because a batch's bytes are needed only until sendBatch returns: resends
// of an unanswered batch happen inside it. kafka-go may still read them
// after RawProduce returned early on its context, but then sendBatch fails
// (the write timeout passed, or the producer was cancelled), and after a
// failure the partition encodes nothing more.
//
// Memory: each partition keeps its largest encoded batch, at most about
// KAFKA_BATCH_BYTES (records are sized generously by outRecord.size; an
// event larger than that is dead-lettered, cut to fit) and never more than
// maxKeptBatchBuffer, plus with compression a 64 KiB chunk buffer, and 96
// bytes per record of KAFKA_BATCH_SIZE: with the defaults, about 1.2 MiB
// per partition of the event and dead-letter topics, for as long as the
// producer runs.
type batchEncoder struct {
	enc     txn.Encoder
	records []txn.Record
}

// maxKeptBatchBuffer bounds what a partition keeps between batches: with a
// KAFKA_BATCH_BYTES far above the default, each larger batch gets a buffer
// of its own, as every batch did before the encoder kept them.
const maxKeptBatchBuffer = 4 << 20

// produce encodes batch with the partition's next sequence and sends it
// until the broker answers for sure. It returns the first record's offset
// (-1 when the broker only said it had the batch already).
func (p *producer) produce(tp topicPartition, batch []*outRecord, seq *int32, enc *batchEncoder) (int64, error) {
	records := enc.records[:0]
	for _, r := range batch {
		records = append(records, txn.Record{Key: r.key, Value: r.value, Headers: r.headers, Time: r.time})
	}
	encoded, err := p.pid.EncodeWith(&enc.enc, records, p.cfg.compression, *seq)
	// Like run's batch, the reused slice must not keep the records'
	// zero-copy values, and through them whole frames, alive; and once
	// encoded, the records no longer need their frames at all.
	clear(records)
	enc.records = records[:0]
	for _, r := range batch {
		r.releaseValue()
	}
	if err != nil {
		return 0, err
	}
	base, err := sendBatch(p.ctx, p.pid, tp, encoded, p.cfg.writeTimeout)
	enc.enc.Trim(maxKeptBatchBuffer)
	if err != nil {
		return 0, fmt.Errorf("producing %d records: %w", len(batch), err)
	}
	*seq += int32(len(batch))
	return base, nil
}

// sendBatch sends encoded until the broker answers for sure, for up to
// timeout (KAFKA_WRITE_TIMEOUT): a batch whose answer was lost (broken
// connection, request timeout, a retriable error) is sent again with the
// same bytes, which the broker appends at most once. After timeout
// without a definite answer the epoch ends (with transactions, the next
// epoch's InitProducerID aborts whatever of it landed).
func sendBatch(ctx context.Context, pid *txn.Producer, tp topicPartition, encoded []byte, timeout time.Duration) (int64, error) {
	deadline := time.Now().Add(timeout)
	pause := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		rctx, cancel := context.WithDeadline(ctx, deadline)
		base, err := pid.Produce(rctx, tp.topic, tp.partition, encoded)
		cancel()
		outcome := txn.Classify(err)
		switch {
		case outcome == txn.Done:
			return base, nil
		case ctx.Err() != nil:
			return 0, fmt.Errorf("%w (gave up at shutdown; the last attempt: %v)", context.Cause(ctx), err)
		case outcome != txn.Retry:
			return 0, err
		case time.Now().Add(pause).After(deadline):
			return 0, fmt.Errorf("no definite answer within KAFKA_WRITE_TIMEOUT=%s after %d attempts: %w", timeout, attempt, err)
		}
		if err := sleep(ctx, pause); err != nil {
			return 0, err
		}
		pause = min(2*pause, time.Second)
	}
}

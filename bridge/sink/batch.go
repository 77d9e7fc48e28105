package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
)

// batchEncoder is the encoding state of one partition goroutine, reused
// from batch to batch so that encoding allocates nothing per record.
//
// The encoder's buffer is overwritten by the next batch, which is safe
// because a batch's bytes are needed only until SendBatch returns: resends
// of an unanswered batch happen inside it. kafka-go may still read them
// after RawProduce returned early on its context, but then SendBatch fails
// (the write timeout passed, or the producer was cancelled), and after a
// failure the partition encodes nothing more.
//
// Memory: each partition keeps its largest encoded batch, at most about
// KAFKA_BATCH_BYTES (records are sized generously by Record.size; an
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
func (p *Producer) produce(tp topicPartition, batch []*Record, seq *int32, enc *batchEncoder) (int64, error) {
	records := enc.records[:0]
	for _, r := range batch {
		records = append(records, txn.Record{Key: r.Key, Value: r.Value, Headers: r.Headers, Time: r.Time})
	}
	encoded, err := p.pid.EncodeWith(&enc.enc, records, p.cfg.Compression, *seq)
	// Like run's batch, the reused slice must not keep the records'
	// zero-copy values, and through them whole frames, alive; and once
	// encoded, the records no longer need their frames at all.
	clear(records)
	enc.records = records[:0]
	for _, r := range batch {
		r.ReleaseValue()
	}
	if err != nil {
		return 0, err
	}
	base, err := SendBatch(p.ctx, p.pid, tp.topic, tp.partition, encoded, p.cfg.WriteTimeout)
	enc.enc.Trim(maxKeptBatchBuffer)
	if err != nil {
		return 0, fmt.Errorf("producing %d records: %w", len(batch), err)
	}
	*seq += int32(len(batch))
	return base, nil
}

// SendBatch sends encoded until the broker answers for sure, for up to
// timeout (KAFKA_WRITE_TIMEOUT): a batch whose answer was lost (broken
// connection, request timeout, a retriable error) is sent again with the
// same bytes, which the broker appends at most once. After timeout
// without a definite answer the epoch ends (with transactions, the next
// epoch's InitProducerID aborts whatever of it landed).
func SendBatch(ctx context.Context, pid *txn.Producer, topic string, partition int, encoded []byte, timeout time.Duration) (int64, error) {
	deadline := time.Now().Add(timeout)
	pause := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		rctx, cancel := context.WithDeadline(ctx, deadline)
		base, err := pid.Produce(rctx, topic, partition, encoded)
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
		if err := retry.Sleep(ctx, pause); err != nil {
			return 0, err
		}
		pause = min(2*pause, time.Second)
	}
}

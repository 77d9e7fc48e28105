package txn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Producer is one producer identity: idempotent, or transactional when it
// was initialised with a transactional id. Its methods may be called from
// several goroutines; the sequence of each partition belongs to the caller.
type Producer struct {
	client  *kafka.Client
	txnID   string
	id      Identity
	backoff time.Duration // first pause between retries of a control request
}

// Init asks the cluster for a producer identity. With a transactional id
// this fences every earlier instance that used it and aborts its open
// transaction (Init returns once the abort is complete). Retriable answers
// (coordinator moving or loading, a transaction still completing) are
// retried until ctx ends.
func Init(ctx context.Context, client *kafka.Client, transactionalID string, timeout time.Duration) (*Producer, error) {
	p := &Producer{client: client, txnID: transactionalID, backoff: 20 * time.Millisecond}
	err := p.retry(ctx, "initialising the producer id", func(ctx context.Context) error {
		res, err := client.InitProducerID(ctx, &kafka.InitProducerIDRequest{
			TransactionalID:      transactionalID,
			TransactionTimeoutMs: int(timeout / time.Millisecond),
			// -1/-1 asks for a fresh epoch; kafka-go would send 0/0.
			ProducerID:    -1,
			ProducerEpoch: -1,
		})
		if err != nil {
			return err
		}
		if res.Error != nil {
			return res.Error
		}
		if res.Producer == nil || res.Producer.ProducerID < 0 {
			return fmt.Errorf("InitProducerID answered no producer id")
		}
		p.id = Identity{ID: int64(res.Producer.ProducerID), Epoch: int16(res.Producer.ProducerEpoch)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Identity returns the producer id and epoch.
func (p *Producer) Identity() Identity { return p.id }

// Transactional reports whether the producer has a transactional id.
func (p *Producer) Transactional() bool { return p.txnID != "" }

// Encode encodes records as a batch of this producer starting at seq. The
// bytes are the caller's to keep (a checkpoint batch whose answer was lost
// is sent again later).
func (p *Producer) Encode(records []kafka.Record, codec kafka.Compression, seq int32) ([]byte, error) {
	return encodeBatch(records, codec, p.id, seq, p.Transactional())
}

// EncodeWith encodes records as a batch of this producer starting at seq,
// into e's buffers: the bytes are valid until e encodes again.
func (p *Producer) EncodeWith(e *Encoder, records []Record, codec kafka.Compression, seq int32) ([]byte, error) {
	return e.Encode(records, codec, p.id, seq, p.Transactional())
}

// Produce sends one encoded batch once and returns the offset of its first
// record, or -1 when the broker reports the batch as a duplicate of one it
// already has. The error is for Classify.
func (p *Producer) Produce(ctx context.Context, topic string, partition int, batch []byte) (int64, error) {
	res, err := p.client.RawProduce(ctx, &kafka.RawProduceRequest{
		Topic:           topic,
		Partition:       partition,
		RequiredAcks:    kafka.RequireAll,
		TransactionalID: p.txnID,
		RawRecords:      protocol.RawRecordSet{Reader: bytes.NewReader(batch)},
	})
	if err != nil {
		return 0, fmt.Errorf("producing to %s[%d]: %w", topic, partition, err)
	}
	if res.Error != nil {
		if Classify(res.Error) == Done {
			return -1, nil
		}
		return 0, fmt.Errorf("producing to %s[%d]: %w", topic, partition, wrapFatal(res.Error))
	}
	for i, rerr := range res.RecordErrors {
		// Kafka refuses a batch as a whole.
		return 0, fmt.Errorf("producing to %s[%d]: record %d: %w", topic, partition, i, wrapFatal(rerr))
	}
	return res.BaseOffset, nil
}

// AddPartitions adds partitions of topic to the open transaction; every
// partition must be added before its first write in each transaction.
func (p *Producer) AddPartitions(ctx context.Context, topic string, partitions ...int) error {
	parts := make([]kafka.AddPartitionToTxn, len(partitions))
	for i, part := range partitions {
		parts[i] = kafka.AddPartitionToTxn{Partition: part}
	}
	return p.retry(ctx, fmt.Sprintf("adding %s%v to the transaction", topic, partitions), func(ctx context.Context) error {
		res, err := p.client.AddPartitionsToTxn(ctx, &kafka.AddPartitionsToTxnRequest{
			TransactionalID: p.txnID,
			ProducerID:      int(p.id.ID),
			ProducerEpoch:   int(p.id.Epoch),
			Topics:          map[string][]kafka.AddPartitionToTxn{topic: parts},
		})
		if err != nil {
			return err
		}
		for _, part := range res.Topics[topic] {
			if part.Error != nil {
				return part.Error
			}
		}
		return nil
	})
}

// EndTxn commits or aborts the open transaction.
func (p *Producer) EndTxn(ctx context.Context, commit bool) error {
	what := "aborting the transaction"
	if commit {
		what = "committing the transaction"
	}
	return p.retry(ctx, what, func(ctx context.Context) error {
		res, err := p.client.EndTxn(ctx, &kafka.EndTxnRequest{
			TransactionalID: p.txnID,
			ProducerID:      int(p.id.ID),
			ProducerEpoch:   int(p.id.Epoch),
			Committed:       commit,
		})
		if err != nil {
			return err
		}
		return res.Error
	})
}

// retry runs a control request until it succeeds, fails for good, or ctx
// ends. Control requests are safe to repeat: adding a partition twice, or
// ending a transaction that this epoch already ended, is answered alike.
func (p *Producer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	pause := p.backoff
	for {
		err := fn(ctx)
		outcome := Classify(err)
		switch {
		case outcome == Done:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %w (last error: %v)", what, context.Cause(ctx), err)
		case outcome != Retry:
			return fmt.Errorf("%s: %w", what, wrapFatal(err))
		}
		wait := pause
		if errors.Is(err, kafka.ConcurrentTransactions) {
			// The coordinator is still writing the previous transaction's
			// markers, which takes milliseconds: a doubling pause turned
			// that into stalls of 150-700 ms after some commits.
			wait = concurrentTransactionsPause
		} else {
			pause = min(2*pause, time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (last error: %v)", what, context.Cause(ctx), err)
		case <-t.C:
		}
	}
}

// concurrentTransactionsPause is the pause before retrying a request the
// coordinator refused with CONCURRENT_TRANSACTIONS.
const concurrentTransactionsPause = 2 * time.Millisecond

// wrapFatal adds the sentinel callers branch on to a broker error.
func wrapFatal(err error) error {
	switch Classify(err) {
	case Fenced:
		return fmt.Errorf("%w: %w", ErrFenced, err)
	case Reinit:
		return fmt.Errorf("%w: %w", errReinit, err)
	}
	return err
}

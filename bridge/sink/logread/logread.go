package logread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	fetchAPI "github.com/segmentio/kafka-go/protocol/fetch"
)

// controlAbort is the type of a control record that aborts a transaction.
const controlAbort = 0

// fetchMaxBytes bounds the partition's share of one fetch response. The
// response as a whole is allowed twice that (the consumers' defaults keep
// it larger too): franz-go's embedded broker, which the tests run on,
// leaves a partition's aborted transactions out of an answer that the
// request-wide bound cut, so a read_committed reader would take aborted
// records for committed ones.
const fetchMaxBytes = 8 << 20

// ReadPartition calls fn for every committed record of topic[partition]
// with an offset in [from, to), in offset order, as a read_committed
// consumer sees them: records of aborted transactions and transaction
// markers are skipped, and offsets removed by compaction or retention are
// passed over. While an open transaction holds the last stable offset
// below `to`, it waits (bounded by ctx) for that transaction to end.
//
// kafka-go's Client.Fetch returns aborted records and hides the response's
// list of aborted transactions, so this reads the fetch response at the
// protocol level and filters as the Java consumer does. The checkpoint
// store, the bridge's tail scan and the tests all read a log this way.
func ReadPartition(ctx context.Context, client *kafka.Client, topic string, partition int, from, to int64, fn func(kafka.Record) error) error {
	transport := client.Transport
	if transport == nil {
		transport = kafka.DefaultTransport
	}
	for off := from; off < to; {
		fctx, cancel := ctx, context.CancelFunc(func() {})
		if client.Timeout > 0 {
			fctx, cancel = context.WithTimeout(ctx, client.Timeout)
		}
		msg, err := transport.RoundTrip(fctx, client.Addr, &fetchAPI.Request{
			ReplicaID:      -1,
			MaxWaitTime:    100,
			MinBytes:       1,
			MaxBytes:       2 * fetchMaxBytes,
			IsolationLevel: int8(kafka.ReadCommitted),
			SessionID:      -1,
			SessionEpoch:   -1,
			Topics: []fetchAPI.RequestTopic{{
				Topic: topic,
				Partitions: []fetchAPI.RequestPartition{{
					Partition:          int32(partition),
					CurrentLeaderEpoch: -1,
					FetchOffset:        off,
					LogStartOffset:     -1,
					PartitionMaxBytes:  fetchMaxBytes,
				}},
			}},
		})
		cancel()
		if err != nil {
			return fmt.Errorf("reading %s[%d] at offset %d: %w", topic, partition, off, err)
		}
		res := msg.(*fetchAPI.Response)
		if res.ErrorCode != 0 {
			return fmt.Errorf("reading %s[%d] at offset %d: %w", topic, partition, off, kafka.Error(res.ErrorCode))
		}
		if len(res.Topics) != 1 || len(res.Topics[0].Partitions) != 1 {
			return fmt.Errorf("reading %s[%d] at offset %d: the answer names no such partition", topic, partition, off)
		}
		p := &res.Topics[0].Partitions[0]
		if p.ErrorCode != 0 {
			return fmt.Errorf("reading %s[%d] at offset %d: %w", topic, partition, off, kafka.Error(p.ErrorCode))
		}
		next, done, err := readCommitted(p, off, to, fn)
		if err != nil {
			return fmt.Errorf("reading %s[%d]: %w", topic, partition, err)
		}
		if done {
			return nil
		}
		if next > off {
			off = next
			continue
		}
		// Nothing came back: the last stable offset is not past `off` yet.
		if p.LastStableOffset > off && p.HighWatermark > off {
			return fmt.Errorf("reading %s[%d] at offset %d: nothing returned below the last stable offset %d", topic, partition, off, p.LastStableOffset)
		}
		if p.HighWatermark <= off {
			return nil // `to` lies past the log's end: everything there is has been read
		}
		if err := retry.Sleep(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("reading %s[%d]: waiting for an open transaction at offset %d to end: %w", topic, partition, off, err)
		}
	}
	return nil
}

// readCommitted hands fn the committed records of one fetch response from
// offset `from` on. It returns the offset after the last batch seen, and
// done once it reached `to`.
func readCommitted(p *fetchAPI.ResponsePartition, from, to int64, fn func(kafka.Record) error) (next int64, done bool, err error) {
	aborted := slices.Clone(p.AbortedTransactions)
	slices.SortFunc(aborted, func(a, b fetchAPI.ResponseTransaction) int { return int(a.FirstOffset - b.FirstOffset) })
	abortedBy := map[int64]bool{} // producer ids whose current transaction was aborted

	next = from
	var batches []protocol.RecordReader
	switch rs := p.RecordSet.Records.(type) {
	case nil:
	case *protocol.RecordStream:
		batches = rs.Records
	default:
		batches = []protocol.RecordReader{rs}
	}
	for _, batch := range batches {
		var control, skip bool
		var producerID int64
		switch b := batch.(type) {
		case *protocol.ControlBatch:
			control, producerID = true, b.ProducerID
		case *protocol.RecordBatch:
			for len(aborted) > 0 && aborted[0].FirstOffset <= b.BaseOffset {
				abortedBy[aborted[0].ProducerID] = true
				aborted = aborted[1:]
			}
			skip = b.Attributes.Transactional() && abortedBy[b.ProducerID]
		}
		for {
			r, err := batch.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return next, false, err
			}
			next = max(next, r.Offset+1)
			switch {
			case r.Offset >= to:
				return next, true, nil
			case control:
				// A marker: after an abort, the producer's later batches
				// belong to a new transaction.
				if cr, err := protocol.ReadControlRecord(r); err == nil && cr.Type == controlAbort {
					delete(abortedBy, producerID)
				}
			case r.Offset < from || skip:
				// A compressed batch starts before `from`, or an aborted one.
			default:
				if err := fn(*r); err != nil {
					return next, false, err
				}
			}
		}
	}
	return next, next >= to, nil
}

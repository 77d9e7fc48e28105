package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
)

// ReadPartition calls fn for every record of topic[partition] with an offset
// in [from, to), in offset order. Offsets removed by compaction or retention
// are skipped. Both the checkpoint store and the bridge's tail scan read a
// bounded range of a log this way.
func ReadPartition(ctx context.Context, client *kafka.Client, topic string, partition int, from, to int64, fn func(kafka.Record) error) error {
	for off := from; off < to; {
		res, err := client.Fetch(ctx, &kafka.FetchRequest{
			Topic: topic, Partition: partition, Offset: off,
			MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond,
		})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			return fmt.Errorf("reading %s[%d] at offset %d: %w", topic, partition, off, err)
		}
		next := off
		for {
			r, err := res.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("reading %s[%d]: %w", topic, partition, err)
			}
			next = r.Offset + 1
			if r.Offset < off {
				continue // a compressed batch starts before the requested offset
			}
			if r.Offset >= to {
				return nil
			}
			if err := fn(*r); err != nil {
				return err
			}
		}
		if next == off {
			// Nothing readable below `to` (only transaction markers, for
			// example): everything up to it has been seen.
			return nil
		}
		off = next
	}
	return nil
}

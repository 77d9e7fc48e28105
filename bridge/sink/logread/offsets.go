package logread

import (
	"context"
	"fmt"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Bounds are a partition's first retained offset and its end: the high
// watermark, or with read_committed the last stable offset.
type Bounds struct {
	First, End int64
}

// Offsets lists the bounds of partitions 0..partitions-1 of topic. With
// committed, End is the last stable offset: what lies beyond it belongs to
// a transaction still open, so it is not committed yet.
func Offsets(ctx context.Context, client *kafka.Client, topic string, partitions int, committed bool) (map[int]Bounds, error) {
	reqs := make([]kafka.OffsetRequest, 0, 2*partitions)
	for p := 0; p < partitions; p++ {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}}
	if committed {
		req.IsolationLevel = kafka.ReadCommitted
	}
	res, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("listing offsets of %q: %w", topic, err)
	}
	bounds := make(map[int]Bounds, partitions)
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("listing offsets of %s[%d]: %w", topic, po.Partition, po.Error)
		}
		bounds[po.Partition] = Bounds{First: po.FirstOffset, End: po.LastOffset}
	}
	if len(bounds) != partitions {
		return nil, fmt.Errorf("listing offsets of %q: got %d partitions, want %d", topic, len(bounds), partitions)
	}
	return bounds, nil
}

// Ends returns the End of each partition of bounds.
func Ends(bounds map[int]Bounds) map[int]int64 {
	ends := make(map[int]int64, len(bounds))
	for p, b := range bounds {
		ends[p] = b.End
	}
	return ends
}

// Bytes reads and closes b, as kafka-go's own encoder does; nil stays nil
// (a null key, or a tombstone's value).
func Bytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	return protocol.ReadAll(b)
}

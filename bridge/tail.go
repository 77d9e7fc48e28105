package bridge

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// scanResult is what the output topic says this bridge already delivered.
type scanResult struct {
	delivered map[string]time.Time // dedup key -> event time, for times >= the scan's since
	latest    time.Time            // latest event time among our scanned records
	end       map[int]int64        // per partition: the high watermark the scan read up to
	records   int                  // records read (all writers)
}

// scanTail reads every partition of topic from `from` (a partition missing
// there: from its first offset) up to the high watermark taken at the start,
// and collects the dedup keys of records written by bridge with an event
// time at or after since. Records of other writers are ignored.
func scanTail(ctx context.Context, client *kafka.Client, topic, bridge string, partitions int, from map[int]int64, since time.Time) (scanResult, error) {
	res := scanResult{delivered: make(map[string]time.Time), end: make(map[int]int64, partitions)}
	reqs := make([]kafka.OffsetRequest, 0, 2*partitions)
	for p := 0; p < partitions; p++ {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	offsets, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return res, fmt.Errorf("listing offsets of %q: %w", topic, err)
	}
	for _, po := range offsets.Topics[topic] {
		if po.Error != nil {
			return res, fmt.Errorf("listing offsets of %s[%d]: %w", topic, po.Partition, po.Error)
		}
		start, ok := from[po.Partition]
		if !ok || start < po.FirstOffset {
			// Never scanned, or retention removed the start: what is gone
			// is older than anything a replay can resend.
			start = po.FirstOffset
		}
		res.end[po.Partition] = po.LastOffset
		if err := scanPartition(ctx, client, topic, po.Partition, start, po.LastOffset, bridge, since, &res); err != nil {
			return res, err
		}
	}
	if len(res.end) != partitions {
		return res, fmt.Errorf("listing offsets of %q: got %d partitions, want %d", topic, len(res.end), partitions)
	}
	return res, nil
}

func scanPartition(ctx context.Context, client *kafka.Client, topic string, partition int, start, end int64, bridge string, since time.Time, res *scanResult) error {
	return checkpoint.ReadPartition(ctx, client, topic, partition, start, end, func(r kafka.Record) error {
		res.records++
		collect(r.Headers, bridge, since, res)
		return nil
	})
}

// scanSnapshots are the output topic's end offsets (one past our last
// acknowledged record per partition) as they were at successive
// checkpoints, each with `below`: the latest event time of any of our
// records under those offsets.
type scanSnapshots []scanSnapshot

type scanSnapshot struct {
	below time.Time
	end   map[int]int64
}

// take records the current end offsets when they moved.
func (s *scanSnapshots) take(below time.Time, end map[int]int64) {
	if n := len(*s); n > 0 && maps.Equal((*s)[n-1].end, end) && (*s)[n-1].below.Equal(below) {
		return
	}
	*s = append(*s, scanSnapshot{below: below, end: maps.Clone(end)})
}

// scanFrom returns the newest snapshot whose records are all older than
// since (so every record at or after since is at or after it), or current
// when there is none yet; older snapshots are dropped.
func (s *scanSnapshots) scanFrom(since time.Time, current map[int]int64) map[int]int64 {
	usable := -1
	for i, snap := range *s {
		if snap.below.Before(since) {
			usable = i
		}
	}
	if usable < 0 {
		return current
	}
	*s = (*s)[usable:]
	return (*s)[0].end
}

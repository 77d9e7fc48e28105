package bridge

import (
	"context"
	"maps"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/logread"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// Rebuilding the dedup window: each epoch starts from a read_committed scan
// of the outputs' tails (the event topic, and the dead-letter topic, whose
// records are written once too), from the checkpoint's ScanFrom offsets.
// Every record of this bridge there gives its dedup key and time back.

// scanResult is what the outputs say this bridge already delivered.
type scanResult struct {
	window    keyWindow                 // the dedup keys of our records kept by times at or after the horizon
	delivered int                       // keys added to window
	latest    time.Time                 // latest time among our scanned records
	end       [numOutputs]map[int]int64 // per output and partition: the end the scan read up to
	records   int                       // records read (all writers)
}

// scanTails scans both outputs from pos's ScanFrom offsets, collecting the
// keys of our records at or after horizon into a fresh window.
func (b *Bridge) scanTails(ctx context.Context, parts map[string]int, pos checkpoint.Position, horizon time.Time) (scanResult, error) {
	res := scanResult{window: b.newWindow()}
	from := [numOutputs]map[int]int64{pos.ScanFrom, pos.DLQScanFrom}
	topics := [numOutputs]string{b.cfg.KafkaTopic, b.cfg.KafkaDLQTopic}
	for out, topic := range topics {
		end, err := scanTail(ctx, b.client, topic, b.cfg.BridgeName, parts[topic], from[out], horizon, &res)
		if err != nil {
			return res, err
		}
		res.end[out] = end
	}
	return res, nil
}

// scanTail reads every partition of topic from `from` (a partition missing
// there: from its first offset) up to the end offset taken at the start,
// and collects into res the dedup keys of records written by bridge with a
// time at or after horizon. Records of other writers are ignored. It
// returns the end offsets it read up to.
func scanTail(ctx context.Context, client *kafka.Client, topic, bridge string, partitions int, from map[int]int64, horizon time.Time, res *scanResult) (map[int]int64, error) {
	bounds, err := logread.Offsets(ctx, client, topic, partitions, false)
	if err != nil {
		return nil, err
	}
	for p, bound := range bounds {
		start, ok := from[p]
		if !ok || start < bound.First {
			// Never scanned, or retention removed the start: what is gone
			// is older than anything can be sent again.
			start = bound.First
		}
		err := logread.ReadPartition(ctx, client, topic, p, start, bound.End, func(r kafka.Record) error {
			res.records++
			collect(r.Headers, bridge, horizon, res)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return logread.Ends(bounds), nil
}

// collect adds the record's dedup key when it is ours, with the time the
// window keeps it by: bridge-key-time when the source set one, else its
// bridge-event-time.
func collect(headers []kafka.Header, bridge string, horizon time.Time, res *scanResult) {
	var name, key, at string
	for _, h := range headers {
		switch h.Key {
		case HeaderBridge:
			name = string(h.Value)
		case HeaderDedupKey:
			key = string(h.Value)
		case HeaderEventTime:
			if at == "" {
				at = string(h.Value)
			}
		case HeaderKeyTime:
			at = string(h.Value)
		}
	}
	if name != bridge || key == "" {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return
	}
	if t.After(res.latest) {
		res.latest = t
	}
	if !t.Before(horizon) {
		res.window.add(key, t)
		res.delivered++
	}
}

// scanSnapshots are the outputs' end offsets (one past our last
// acknowledged record per partition) as they were at successive
// checkpoints, each with `below`: the latest event time of any of our
// records under those offsets.
type scanSnapshots []scanSnapshot

type scanSnapshot struct {
	below time.Time
	end   [numOutputs]map[int]int64
}

// take records the current end offsets when they moved.
func (s *scanSnapshots) take(below time.Time, end [numOutputs]map[int]int64) {
	if n := len(*s); n > 0 && (*s)[n-1].below.Equal(below) && sameEnds((*s)[n-1].end, end) {
		return
	}
	snap := scanSnapshot{below: below}
	for out := range end {
		snap.end[out] = maps.Clone(end[out])
	}
	*s = append(*s, snap)
}

func sameEnds(a, b [numOutputs]map[int]int64) bool {
	for out := range a {
		if !maps.Equal(a[out], b[out]) {
			return false
		}
	}
	return true
}

// scanFrom returns the newest snapshot whose records are all older than
// since (so every record at or after since is at or after it), or current
// when there is none yet; older snapshots are dropped.
func (s *scanSnapshots) scanFrom(since time.Time, current [numOutputs]map[int]int64) [numOutputs]map[int]int64 {
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

package kafkatest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ReadAll returns every committed record of topic below the end offsets it
// finds when called (the last stable offsets, which stop below any open
// transaction), in partition then offset order. A topic that does not
// exist is empty. It gives up when ctx ends, with an error that names the
// partitions not read to their end.
//
// It is the tests' independent verifier: it reads with franz-go's kgo
// consumer in read_committed isolation, not with kafka-go (which the
// bridge uses), so a record of an aborted transaction is never returned and
// a bug in the bridge's own reading code cannot hide in the verdict.
//
// A partition is done when the consumer has passed its end offset. The
// consumer returns transaction markers too (they are not passed on), so a
// partition whose last offsets are markers, or aborted records followed by
// their marker, is seen to end. One case is beyond it: if compaction has
// removed every offset just below the end (possible only while a
// transaction is open on a compacted topic), the end cannot be told from
// data still to come, and ReadAll fails when ctx ends.
//
// Each call uses a client of its own and closes it: calls share no
// connection, metadata or consumer position, so one poll cannot inherit a
// broken connection or a buffered fetch from another; a client costs a
// connection and a metadata request, milliseconds per call.
func (c *Cluster) ReadAll(ctx context.Context, topic string) ([]Record, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID("kafkatest-readall"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records (transaction markers) are returned so that a
		// partition whose last offsets below the end are markers is seen
		// to reach its end; they are not passed on to the caller.
		// Records of aborted transactions stay hidden.
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.FetchMaxPartitionBytes(8 << 20),
		kgo.RetryBackoffFn(func(int) time.Duration { return 50 * time.Millisecond }),
		kgo.WithDecompressor(&lz4Decompressor{fallback: kgo.DefaultDecompressor()}),
	}, c.ReaderOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", topic, err)
	}
	defer cl.Close()

	bounds, err := partitionBounds(ctx, cl, topic)
	if err != nil || len(bounds) == 0 {
		return nil, err
	}
	start := map[int32]kgo.Offset{}
	for p, b := range bounds {
		if b.end > b.start {
			start[p] = kgo.NewOffset().AtStart()
		}
	}
	if len(start) == 0 {
		return nil, nil
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: start})

	// next is the consumer position of each partition still to finish: one
	// past the highest offset seen, markers included.
	next := map[int32]int64{}
	for p := range start {
		next[p] = bounds[p].start
	}
	byPart := map[int32][]Record{}
	for len(next) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w (%s)", topic, err, progress(next, bounds))
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("reading %s[%d]: %w", t, p, err)
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		var done []int32
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			p := fp.Partition
			if _, open := next[p]; !open {
				return // finished; these records are past its end
			}
			end := bounds[p].end
			for _, r := range fp.Records {
				next[p] = max(next[p], r.Offset+1)
				if r.Offset >= end || r.Attrs.IsControl() {
					continue
				}
				byPart[p] = append(byPart[p], record(r))
			}
			if next[p] >= end {
				delete(next, p)
				done = append(done, p)
			}
		})
		if len(done) > 0 && len(next) > 0 {
			cl.PauseFetchPartitions(map[string][]int32{topic: done})
		}
	}

	parts := make([]int32, 0, len(byPart))
	for p := range byPart {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var out []Record
	for _, p := range parts {
		out = append(out, byPart[p]...) // each in offset order already
	}
	return out, nil
}

func record(r *kgo.Record) Record {
	rec := Record{Partition: int(r.Partition), Offset: r.Offset, Key: r.Key, Value: r.Value, Headers: map[string]string{}}
	for _, h := range r.Headers {
		rec.Headers[h.Key] = string(h.Value)
	}
	return rec
}

// bound is the offset range of a partition to read: from its log start
// offset to its last stable offset.
type bound struct{ start, end int64 }

// partitionBounds lists the partitions of topic with their log start and
// last stable offsets (the end for read_committed). A missing topic has
// none. Errors that Kafka marks retriable (a topic just created, a leader
// moving) are retried until ctx ends.
func partitionBounds(ctx context.Context, cl *kgo.Client, topic string) (map[int32]bound, error) {
	for {
		bounds, err := tryPartitionBounds(ctx, cl, topic)
		if err == nil || !kerr.IsRetriable(err) {
			return bounds, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tryPartitionBounds(ctx context.Context, cl *kgo.Client, topic string) (map[int32]bound, error) {
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mres, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	if len(mres.Topics) != 1 {
		return nil, fmt.Errorf("metadata of %s: %d topics in the answer", topic, len(mres.Topics))
	}
	mtopic := mres.Topics[0]
	if err := kerr.ErrorForCode(mtopic.ErrorCode); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return nil, nil
		}
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	if len(mtopic.Partitions) == 0 {
		return nil, fmt.Errorf("metadata of %s: no partitions: %w", topic, kerr.LeaderNotAvailable)
	}

	// One request per timestamp: earliest (-2), then latest (-1). With
	// isolation level 1 (read_committed) the latest offset is the last
	// stable offset, below every open transaction.
	bounds := map[int32]bound{}
	for _, ts := range []int64{-2, -1} {
		req := kmsg.NewPtrListOffsetsRequest()
		req.IsolationLevel = 1
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		for _, p := range mtopic.Partitions {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p.Partition
			rp.Timestamp = ts
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		res, err := req.RequestWith(ctx, cl) // kgo sends each partition to its leader
		if err != nil {
			return nil, fmt.Errorf("offsets of %s: %w", topic, err)
		}
		for _, t := range res.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return nil, fmt.Errorf("offsets of %s[%d]: %w", topic, p.Partition, err)
				}
				b := bounds[p.Partition]
				if ts == -2 {
					b.start = p.Offset
				} else {
					b.end = p.Offset
				}
				bounds[p.Partition] = b
			}
		}
	}
	if len(bounds) != len(mtopic.Partitions) {
		return nil, fmt.Errorf("offsets of %s: %d of %d partitions answered: %w", topic, len(bounds), len(mtopic.Partitions), kerr.LeaderNotAvailable)
	}
	return bounds, nil
}

// progress describes the partitions not read to their end yet.
func progress(next map[int32]int64, bounds map[int32]bound) string {
	parts := make([]int32, 0, len(next))
	for p := range next {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var b strings.Builder
	b.WriteString("unfinished partitions:")
	for _, p := range parts {
		fmt.Fprintf(&b, " %d at offset %d of [%d,%d)", p, next[p], bounds[p].start, bounds[p].end)
	}
	return b.String()
}

// lz4Decompressor decodes lz4 batches block by block into one scratch
// buffer per client. kgo's default decompressor uses pierrec/lz4's frame
// reader, which takes a block buffer of the frame's maximum block size
// (4 MiB from kafka-go's writer) from a sync.Pool for every batch. Under
// the race detector the pool drops a quarter of what is put back and every
// GC empties it, and each fresh 4 MiB buffer costs milliseconds of race
// bookkeeping: reading the kill test's ten thousand records (1,500 small
// batches per partition) took 20 s with -race against 30 ms without.
//
// Only what it fully understands is decoded here: one frame of independent
// blocks. Anything else, including every error, goes to kgo's default
// decompressor, which also handles the other codecs. Checksums are not
// verified here; kgo has already checked the batch's CRC-32C, which covers
// the compressed bytes.
type lz4Decompressor struct {
	fallback kgo.Decompressor

	mu      sync.Mutex
	scratch []byte
}

func (d *lz4Decompressor) Decompress(src []byte, codec kgo.CompressionCodecType) ([]byte, error) {
	if codec == kgo.CodecLz4 {
		if out, ok := d.lz4Frame(src); ok {
			return out, nil
		}
	}
	return d.fallback.Decompress(src, codec)
}

// lz4Frame decodes src if it is exactly one LZ4 frame (the format of
// https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) with
// independent blocks and no dictionary, and reports whether it did.
func (d *lz4Decompressor) lz4Frame(src []byte) ([]byte, bool) {
	const (
		magic        = 0x184D2204
		flagIndep    = 1 << 5
		flagBlockSum = 1 << 4
		flagSize     = 1 << 3
		flagSum      = 1 << 2
		flagDictID   = 1 << 0
	)
	if len(src) < 7 || binary.LittleEndian.Uint32(src) != magic {
		return nil, false
	}
	flg, bd := src[4], src[5]
	if flg>>6 != 1 || flg&flagIndep == 0 || flg&flagDictID != 0 || flg&0b10 != 0 || bd&0b1000_1111 != 0 {
		return nil, false
	}
	var maxBlock int
	switch bd >> 4 {
	case 4:
		maxBlock = 64 << 10
	case 5:
		maxBlock = 256 << 10
	case 6:
		maxBlock = 1 << 20
	case 7:
		maxBlock = 4 << 20
	default:
		return nil, false
	}
	pos := 6
	var size uint64
	if flg&flagSize != 0 {
		if len(src) < pos+8 {
			return nil, false
		}
		size = binary.LittleEndian.Uint64(src[pos:])
		pos += 8
	}
	pos++ // header checksum
	blockSum := 0
	if flg&flagBlockSum != 0 {
		blockSum = 4
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.scratch) < maxBlock {
		d.scratch = make([]byte, maxBlock)
	}
	out := make([]byte, 0, min(size, 64<<20))
	for {
		if len(src) < pos+4 {
			return nil, false
		}
		n := binary.LittleEndian.Uint32(src[pos:])
		pos += 4
		if n == 0 { // end mark
			break
		}
		raw := n&(1<<31) != 0
		n &^= 1 << 31
		if int(n) > maxBlock || len(src) < pos+int(n)+blockSum {
			return nil, false
		}
		block := src[pos : pos+int(n)]
		pos += int(n) + blockSum
		if raw {
			out = append(out, block...)
			continue
		}
		k, err := lz4.UncompressBlock(block, d.scratch[:maxBlock])
		if err != nil {
			return nil, false
		}
		out = append(out, d.scratch[:k]...)
	}
	if flg&flagSum != 0 {
		pos += 4
	}
	if pos != len(src) || (flg&flagSize != 0 && uint64(len(out)) != size) {
		return nil, false
	}
	return out, true
}

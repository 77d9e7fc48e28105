package txn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// asKafkaGo returns records as the oracle takes them; each call makes new
// kafka.Bytes, which encoding consumes.
func asKafkaGo(records []Record) []kafka.Record {
	out := make([]kafka.Record, len(records))
	for i, r := range records {
		out[i] = kafka.Record{Time: r.Time, Key: kafka.NewBytes(r.Key), Value: kafka.NewBytes(r.Value), Headers: r.Headers}
	}
	return out
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// shapes are the record batches the encoder must write exactly as kafka-go
// did: null and empty keys, values and header values, varint length
// boundaries, timestamps out of order, before 1970 and below a
// millisecond, records larger than a compression chunk.
func shapes() map[string][]Record {
	rep := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	many := make([]Record, 1000)
	for i := range many {
		many[i] = Record{Key: []byte(fmt.Sprint(i)), Value: rep('v', i%300), Time: t0.Add(time.Duration(i) * time.Millisecond),
			Headers: []kafka.Header{{Key: "bridge-dedup-key", Value: []byte(fmt.Sprint("d", i))}}}
	}
	var manyHeaders []kafka.Header
	for i := range 70 {
		manyHeaders = append(manyHeaders, kafka.Header{Key: fmt.Sprint("h", i), Value: rep('x', i)})
	}
	return map[string][]Record{
		"one":                  {{Key: []byte("k"), Value: []byte("v"), Time: t0}},
		"null key":             {{Value: []byte("v"), Time: t0}},
		"null key and value":   {{Time: t0}},
		"empty key and value":  {{Key: []byte{}, Value: []byte{}, Time: t0}},
		"null value":           {{Key: []byte("tombstone"), Time: t0}},
		"header values":        {{Key: []byte("k"), Value: []byte("v"), Time: t0, Headers: []kafka.Header{{Key: "nil"}, {Key: "empty", Value: []byte{}}, {Key: "", Value: []byte("no key")}, {Key: "v", Value: []byte("v")}}}},
		"empty header list":    {{Value: []byte("v"), Time: t0, Headers: []kafka.Header{}}},
		"70 headers":           {{Value: []byte("v"), Time: t0, Headers: manyHeaders}},
		"varint boundaries":    {{Key: rep('k', 63), Value: rep('v', 64), Time: t0}, {Key: rep('k', 8191), Value: rep('v', 8192), Time: t0}, {Key: rep('k', 64), Value: rep('v', 63), Time: t0}},
		"1000 records":         many,
		"times out of order":   {{Value: []byte("a"), Time: t0.Add(time.Hour)}, {Value: []byte("b"), Time: t0}, {Value: []byte("c"), Time: t0.Add(2 * time.Hour)}, {Value: []byte("d"), Time: t0.Add(-time.Minute)}},
		"max before first":     {{Value: []byte("a"), Time: t0}, {Value: []byte("b"), Time: t0.Add(-24 * time.Hour)}},
		"years apart":          {{Value: []byte("a"), Time: t0}, {Value: []byte("b"), Time: t0.AddDate(-40, 0, 0)}, {Value: []byte("c"), Time: t0.AddDate(200, 0, 0)}},
		"before 1970":          {{Value: []byte("a"), Time: time.Unix(-1, 500_000_000)}, {Value: []byte("b"), Time: time.Unix(-86400, 0)}, {Value: []byte("c"), Time: time.Unix(-1, 499_500_000)}},
		"after 2262":           {{Value: []byte("a"), Time: t0}, {Value: []byte("b"), Time: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"sub-millisecond":      {{Value: []byte("a"), Time: t0.Add(999 * time.Microsecond)}, {Value: []byte("b"), Time: t0.Add(1999999)}},
		"local time zone":      {{Value: []byte("a"), Time: t0.In(time.FixedZone("X", 5*3600))}},
		"larger than a chunk":  {{Value: rep('a', 200<<10), Time: t0}, {Value: rep('b', 10), Time: t0}, {Value: rep('c', compressChunk), Time: t0}},
		"exactly one chunk":    {{Value: rep('a', compressChunk-8), Time: t0}},
		"across chunks":        {{Value: rep('a', compressChunk-3), Time: t0}, {Value: rep('b', 5), Time: t0}, {Value: rep('c', 3*compressChunk+17), Time: t0}},
		"incompressible value": {{Value: randomBytes(rand.New(rand.NewPCG(3, 4)), 150<<10), Time: t0}},
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	return b[:n]
}

// randomBatch is a batch of 1 to 300 records of random shapes.
func randomBatch(rng *rand.Rand) []Record {
	pick := func(n int) []byte {
		switch rng.IntN(5) {
		case 0:
			return nil
		case 1:
			return []byte{}
		case 2:
			return randomBytes(rng, rng.IntN(n))
		default:
			return bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(n))
		}
	}
	rs := make([]Record, 1+rng.IntN(300))
	for i := range rs {
		rs[i] = Record{Key: pick(100), Value: pick(2000), Time: t0.Add(time.Duration(rng.Int64N(int64(48*time.Hour))) - 24*time.Hour)}
		if rng.IntN(50) == 0 {
			rs[i].Value = pick(100 << 10)
		}
		for range rng.IntN(4) {
			rs[i].Headers = append(rs[i].Headers, kafka.Header{Key: string(pick(20)), Value: pick(40)})
		}
	}
	return rs
}

// The encoder writes the bytes kafka-go wrote (and our lz4 over them),
// header, producer fields, CRC and all, also when one Encoder encodes batch
// after batch of different sizes.
func TestEncoderMatchesKafkaGo(t *testing.T) {
	var e Encoder
	check := func(t *testing.T, rs []Record, codec kafka.Compression, id Identity, seq int32, transactional bool) {
		t.Helper()
		want, err := oracleEncodeBatch(asKafkaGo(rs), codec, id, seq, transactional)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Encode(rs, codec, id, seq, transactional)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Encode (codec %d, %d records) differs from kafka-go at byte %d of %d/%d", codec, len(rs), firstDiff(got, want), len(got), len(want))
		}
		// Also the one-off path the checkpoint and admin writes take.
		got, err = encodeBatch(asKafkaGo(rs), codec, id, seq, transactional)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("encodeBatch (codec %d, %d records) differs from kafka-go at byte %d", codec, len(rs), firstDiff(got, want))
		}
	}
	for name, rs := range shapes() {
		t.Run(name, func(t *testing.T) {
			for _, codec := range []kafka.Compression{0, kafka.Lz4} {
				check(t, rs, codec, Identity{ID: 42, Epoch: 3}, 7, true)
				check(t, rs, codec, Identity{ID: 1<<62 + 5, Epoch: 32767}, 1<<31-1, false)
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for range 80 {
			codec := []kafka.Compression{0, kafka.Lz4}[rng.IntN(2)]
			check(t, randomBatch(rng), codec, Identity{ID: rng.Int64(), Epoch: int16(rng.IntN(1 << 15))}, rng.Int32(), rng.IntN(2) == 0)
		}
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A record without a time (or at 0 ms) gets the time of encoding, as with
// kafka-go, which reads the clock once per batch.
func TestEncoderZeroTimeIsNow(t *testing.T) {
	now := t0.Add(1234567 * time.Microsecond)
	e := Encoder{now: func() time.Time { return now }}
	rs := []Record{{Value: []byte("a")}, {Value: []byte("b"), Time: t0.Add(-time.Hour)}, {Value: []byte("c"), Time: time.Unix(0, 999_999)}}
	stamped := []Record{{Value: []byte("a"), Time: now}, {Value: []byte("b"), Time: t0.Add(-time.Hour)}, {Value: []byte("c"), Time: now}}
	for _, codec := range []kafka.Compression{0, kafka.Lz4} {
		want, err := oracleEncodeBatch(asKafkaGo(stamped), codec, Identity{ID: 1}, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Encode(rs, codec, Identity{ID: 1}, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("codec %d: differs at byte %d", codec, firstDiff(got, want))
		}
	}
}

func TestEncoderRefuses(t *testing.T) {
	var e Encoder
	if _, err := e.Encode(nil, 0, Identity{}, 0, false); !errors.Is(err, ErrEncoding) {
		t.Errorf("no records: %v", err)
	}
	if _, err := e.Encode([]Record{{Value: []byte("v")}}, 6, Identity{}, 0, false); !errors.Is(err, ErrEncoding) {
		t.Errorf("unknown codec: %v", err)
	}
	if Classify(fmt.Errorf("x: %w", ErrEncoding)) != Permanent {
		t.Error("an encoding error is not permanent")
	}
}

// Every codec decodes, with franz-go (independent of kafka-go, which
// TestEncodeBatchLz4 reads with), to the records, times and producer fields
// that went in.
func TestEncoderFranzGoDecodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var e Encoder
	for _, codec := range []kafka.Compression{0, kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd} {
		for i := range 8 {
			rs := randomBatch(rng)
			if i == 0 {
				rs = shapes()["across chunks"]
			}
			b, err := e.Encode(rs, codec, Identity{ID: 99, Epoch: 4}, 1000, i%2 == 0)
			if err != nil {
				t.Fatal(err)
			}
			if int(binary.BigEndian.Uint32(b)) != len(b)-4 {
				t.Fatalf("size prefix %d, want %d", binary.BigEndian.Uint32(b), len(b)-4)
			}
			var batch kmsg.RecordBatch
			if err := batch.ReadFrom(b[4:]); err != nil {
				t.Fatalf("codec %d: franz-go cannot read the batch: %v", codec, err)
			}
			checkBatch(t, codec, &batch, b, rs, i%2 == 0)
		}
	}
}

func checkBatch(t *testing.T, codec kafka.Compression, batch *kmsg.RecordBatch, b []byte, rs []Record, transactional bool) {
	t.Helper()
	if uint32(batch.CRC) != crc32.Checksum(b[offAttributes:], crc32.MakeTable(crc32.Castagnoli)) {
		t.Fatalf("codec %d: bad CRC", codec)
	}
	if batch.Magic != 2 || batch.FirstOffset != 0 || batch.PartitionLeaderEpoch != -1 || int(batch.Length) != len(b)-16 ||
		batch.ProducerID != 99 || batch.ProducerEpoch != 4 || batch.FirstSequence != 1000 || int(batch.NumRecords) != len(rs) ||
		int(batch.LastOffsetDelta) != len(rs)-1 || kafka.Compression(batch.Attributes&7) != codec || (batch.Attributes&0x10 != 0) != transactional {
		t.Fatalf("codec %d: header %+v", codec, *batch)
	}
	raw, err := kgo.DefaultDecompressor().Decompress(batch.Records, kgo.CompressionCodecType(codec))
	if err != nil {
		t.Fatalf("codec %d: decompressing: %v", codec, err)
	}
	maxTime := int64(0)
	for i, want := range rs {
		n, m := binary.Varint(raw)
		if m <= 0 {
			t.Fatalf("codec %d: record %d: bad length", codec, i)
		}
		var r kmsg.Record
		if err := r.ReadFrom(raw[:m+int(n)]); err != nil {
			t.Fatalf("codec %d: record %d: %v", codec, i, err)
		}
		raw = raw[m+int(n):]
		ms := want.Time.UnixMilli()
		maxTime = max(maxTime, ms)
		if batch.FirstTimestamp+r.TimestampDelta64 != ms || int(r.OffsetDelta) != i ||
			!sameNull(r.Key, want.Key) || !sameNull(r.Value, want.Value) || len(r.Headers) != len(want.Headers) {
			t.Fatalf("codec %d: record %d differs", codec, i)
		}
		for j, h := range r.Headers {
			if h.Key != want.Headers[j].Key || !sameNull(h.Value, want.Headers[j].Value) {
				t.Fatalf("codec %d: record %d header %d differs", codec, i, j)
			}
		}
	}
	if len(raw) != 0 {
		t.Fatalf("codec %d: %d bytes after the last record", codec, len(raw))
	}
	if batch.MaxTimestamp != maxTime || batch.FirstTimestamp != rs[0].Time.UnixMilli() {
		t.Fatalf("codec %d: timestamps %d..%d", codec, batch.FirstTimestamp, batch.MaxTimestamp)
	}
}

// sameNull compares as the protocol does: null and empty differ.
func sameNull(got, want []byte) bool {
	return (got == nil) == (want == nil) && bytes.Equal(got, want)
}

// Once its buffers have grown, an Encoder allocates nothing per batch.
// lz4's block buffers come from the lz4 package's pools, which a garbage
// collection may empty (and the race detector's pools drop at random), so
// lz4 only has to stay below one allocation per batch on average.
func TestEncoderSteadyStateAllocations(t *testing.T) {
	events := benchEvents(1000)
	rs := make([]Record, len(events))
	for i, ev := range events {
		rs[i] = Record{Key: ev.key, Value: ev.value, Headers: ev.headers, Time: ev.time}
	}
	codecs := []kafka.Compression{0, kafka.Lz4}
	if raceEnabled {
		codecs = codecs[:1]
	}
	for _, codec := range codecs {
		var e Encoder
		if _, err := e.Encode(rs, codec, Identity{ID: 1}, 0, true); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := e.Encode(rs, codec, Identity{ID: 1}, 0, true); err != nil {
				t.Fatal(err)
			}
		})
		if codec == 0 && allocs != 0 || allocs >= 1 {
			t.Errorf("codec %d: %.2f allocations per batch, want none", codec, allocs)
		}
	}
}

// Trim lets go of a buffer an outsized batch grew, and the Encoder still
// encodes correctly afterwards.
func TestEncoderTrim(t *testing.T) {
	var e Encoder
	big := []Record{{Value: bytes.Repeat([]byte("x"), 1<<20), Time: t0}}
	small := []Record{{Value: []byte(strings.Repeat("y", 100)), Time: t0}}
	for _, codec := range []kafka.Compression{0, kafka.Lz4} {
		if _, err := e.Encode(big, codec, Identity{}, 0, false); err != nil {
			t.Fatal(err)
		}
		e.Trim(64 << 10)
		if cap(e.buf) > 64<<10 || cap(e.scratch) > compressChunk+compressChunk/4 {
			t.Errorf("codec %d: kept %d and %d bytes", codec, cap(e.buf), cap(e.scratch))
		}
		got, err := e.Encode(small, codec, Identity{}, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		want, err := oracleEncodeBatch(asKafkaGo(small), codec, Identity{}, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("codec %d: after Trim the batch differs", codec)
		}
	}
}

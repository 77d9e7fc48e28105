package txn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/logread"
	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Offsets into an encoded v2 batch: a 4-byte size prefix (RawProduce sends
// the bytes as the request's records field), then the batch header, which
// is never compressed.
const (
	offBaseOffset  = 4
	offBatchLength = 12
	offLeaderEpoch = 16
	offMagic       = 20
	offCRC         = 21
	offAttributes  = 25
	offLastOffset  = 27
	offFirstTime   = 31
	offMaxTime     = 39
	offProducerID  = 47
	offEpoch       = 55
	offBaseSeq     = 57
	offRecordCount = 61
	headerEnd      = 65
)

const attrTransactional = uint16(protocol.Transactional)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrEncoding means records cannot be encoded as a batch (none, an unknown
// codec, or more than a batch can hold). Encoding them again fails again.
var ErrEncoding = errors.New("cannot encode the record batch")

// Identity is a producer id and epoch as InitProducerID returned them.
type Identity struct {
	ID    int64
	Epoch int16
}

// Record is one record to encode. A nil Key or Value is written as null,
// an empty one as empty; a header's Value likewise. A zero Time (or one in
// the first millisecond of 1970) stands for the time of encoding, as with
// kafka-go.
type Record struct {
	Key, Value []byte
	Headers    []kafka.Header
	Time       time.Time
}

// Encoder encodes record batches into buffers it keeps from one batch to
// the next, so that once they have grown to the largest batch, encoding
// allocates nothing per record and next to nothing per batch. The bytes
// Encode returns stay valid until it is called again. An Encoder is not
// safe for concurrent use; the zero value is ready.
//
// It keeps about the largest batch it encoded (compressed, for a
// compressed codec) and, once it has compressed, a chunk buffer of
// compressChunk bytes and an lz4 writer, whose block buffers go back to
// the lz4 package's pools after each batch.
type Encoder struct {
	buf     []byte
	scratch []byte       // records not yet handed to the compressor
	sink    appendWriter // where the compressor writes: appends to buf
	lz4     *lz4.Writer
	now     func() time.Time // for zero record times; tests fix it
}

// lz4Options make lz4 frames as the Java producer writes them: 64 KiB
// blocks, and no content checksum (the record batch has its CRC; the
// checksum was a second pass over every byte, 3% of the bridge's CPU).
func lz4Options() []lz4.Option {
	return []lz4.Option{lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(false)}
}

// compressChunk is how many uncompressed bytes are collected before they
// are handed to the compressor, so that the uncompressed batch is never
// held whole. It is the lz4 block size: see Encode.
const compressChunk = 64 << 10

// encodeBatch encodes records as one v2 record batch that carries the
// producer identity and base sequence, with the transactional attribute
// when transactional is set. The result is what RawProduce sends; resending
// the same bytes lets the broker recognise a duplicate. The result is the
// caller's: callers that encode batch after batch use an Encoder.
func encodeBatch(records []kafka.Record, codec kafka.Compression, id Identity, baseSeq int32, transactional bool) ([]byte, error) {
	rs := make([]Record, len(records))
	for i, r := range records {
		key, err := logread.Bytes(r.Key)
		if err != nil {
			return nil, fmt.Errorf("reading the key of record %d: %w", i, err)
		}
		value, err := logread.Bytes(r.Value)
		if err != nil {
			return nil, fmt.Errorf("reading the value of record %d: %w", i, err)
		}
		rs[i] = Record{Key: key, Value: value, Headers: r.Headers, Time: r.Time}
	}
	var e Encoder
	return e.Encode(rs, codec, id, baseSeq, transactional)
}

// Encode encodes records as encodeBatch does, into the Encoder's buffers.
//
// The bytes are those kafka-go's protocol.RecordSet writes for a v2 batch,
// which the bridge sent before it encoded batches itself (a test holds the
// two to the same bytes), with the producer fields filled in: base
// timestamp the first record's, max timestamp the largest (but not below
// zero, as kafka-go has it), and lz4 frames with 64 KiB blocks as the Java
// producer writes them (kafka-go's codec uses 4 MiB blocks, whose pooled
// buffers held 16-20 MB of a bridge that sends batches of at most
// KAFKA_BATCH_BYTES).
func (e *Encoder) Encode(records []Record, codec kafka.Compression, id Identity, baseSeq int32, transactional bool) ([]byte, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrEncoding, protocol.ErrNoRecord)
	}
	if len(records) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d records", ErrEncoding, len(records))
	}
	attrs := uint16(codec)
	if transactional {
		attrs |= attrTransactional
	}

	// Timestamps are milliseconds as kafka-go computes them; the first
	// record's is the base that every record's delta refers to.
	var now int64
	millis := func(t time.Time) int64 {
		ms := int64(0)
		if !t.IsZero() {
			ms = t.UnixNano() / int64(time.Millisecond)
		}
		if ms == 0 {
			if now == 0 {
				now = e.millisNow()
			}
			ms = now
		}
		return ms
	}
	first := millis(records[0].Time)
	maxTime := int64(0)

	var b []byte
	var cw io.WriteCloser // nil: uncompressed
	switch codec {
	case 0:
		total := headerEnd
		for i := range records {
			n := recordLen(&records[i], millis(records[i].Time)-first, int64(i))
			total += varintLen(int64(n)) + n
		}
		b = slices.Grow(e.buf[:0], total)[:headerEnd]
	case kafka.Lz4:
		if e.lz4 == nil {
			zw := lz4.NewWriter(&e.sink)
			if err := zw.Apply(lz4Options()...); err != nil {
				return nil, fmt.Errorf("configuring lz4: %w", err)
			}
			e.lz4 = zw // Reset keeps the options
		} else {
			e.lz4.Reset(&e.sink)
		}
		cw = e.lz4
	default:
		c := codec.Codec()
		if c == nil {
			return nil, fmt.Errorf("%w: unknown compression codec %d", ErrEncoding, codec)
		}
		// Rarely used: kafka-go's codecs, which pool their writers.
		cw = c.NewWriter(&e.sink)
	}
	if cw != nil {
		if cap(e.buf) < headerEnd {
			e.buf = make([]byte, 0, headerEnd+compressChunk)
		}
		e.sink.b = e.buf[:headerEnd]
		if cap(e.scratch) < compressChunk {
			e.scratch = make([]byte, 0, compressChunk+compressChunk/4)
		}
	}

	out := b // where records go: the batch, or the chunk for the compressor
	if cw != nil {
		out = e.scratch[:0]
	}
	for i := range records {
		r := &records[i]
		t := millis(r.Time)
		if t > maxTime {
			maxTime = t
		}
		out = appendRecord(out, r, t-first, int64(i))
		if cw != nil && len(out) >= compressChunk {
			// Whole chunks only: lz4 then compresses each 64 KiB block
			// straight from here instead of copying it into its own. That
			// holds only while the lz4 writer is not concurrent (the
			// default): a concurrent one reads blocks after Write returns.
			n := len(out) - len(out)%compressChunk
			if _, err := cw.Write(out[:n]); err != nil {
				cw.Close()
				return nil, fmt.Errorf("compressing a batch: %w", err)
			}
			out = out[:copy(out, out[n:])]
		}
	}
	if cw == nil {
		b = out
	} else {
		e.scratch = out[:0] // keep what it grew to
		if len(out) > 0 {
			if _, err := cw.Write(out); err != nil {
				cw.Close()
				return nil, fmt.Errorf("compressing a batch: %w", err)
			}
		}
		if err := cw.Close(); err != nil {
			return nil, fmt.Errorf("compressing a batch: %w", err)
		}
		b = e.sink.b
		e.sink.b = nil
	}
	e.buf = b[:0]

	if len(b)-offBatchLength-4 > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d bytes", ErrEncoding, len(b))
	}
	be := binary.BigEndian
	be.PutUint32(b[0:], uint32(len(b)-4))
	be.PutUint64(b[offBaseOffset:], 0)
	be.PutUint32(b[offBatchLength:], uint32(len(b)-offBatchLength-4))
	be.PutUint32(b[offLeaderEpoch:], math.MaxUint32) // -1: set by the broker
	b[offMagic] = 2
	be.PutUint16(b[offAttributes:], attrs)
	be.PutUint32(b[offLastOffset:], uint32(len(records)-1))
	be.PutUint64(b[offFirstTime:], uint64(first))
	be.PutUint64(b[offMaxTime:], uint64(maxTime))
	be.PutUint64(b[offProducerID:], uint64(id.ID))
	be.PutUint16(b[offEpoch:], uint16(id.Epoch))
	be.PutUint32(b[offBaseSeq:], uint32(baseSeq))
	be.PutUint32(b[offRecordCount:], uint32(len(records)))
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b, nil
}

// Trim drops the buffers whose capacity exceeds limit bytes, so that one
// outsized batch does not pin its memory for as long as the Encoder lives.
func (e *Encoder) Trim(limit int) {
	if cap(e.buf) > limit {
		e.buf = nil
	}
	if cap(e.scratch) > max(limit, compressChunk+compressChunk/4) {
		e.scratch = nil
	}
}

func (e *Encoder) millisNow() int64 {
	if e.now != nil {
		return e.now().UnixNano() / int64(time.Millisecond)
	}
	return time.Now().UnixNano() / int64(time.Millisecond)
}

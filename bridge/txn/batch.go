package txn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Offsets into the bytes protocol.RecordSet.WriteTo produces for a v2 batch
// (a 4-byte size prefix, then the batch header). The header is never
// compressed, so producer fields can be set after encoding.
const (
	offBatchLength = 12
	offMagic       = 20
	offCRC         = 21
	offAttributes  = 25
	offProducerID  = 47
	offEpoch       = 55
	offBaseSeq     = 57
	offRecordCount = 61
	headerEnd      = 65
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrEncoding means kafka-go produced a batch this package does not
// recognise; patching it would corrupt data, so nothing is sent.
var ErrEncoding = errors.New("unexpected record batch encoding")

// Identity is a producer id and epoch as InitProducerID returned them.
type Identity struct {
	ID    int64
	Epoch int16
}

// EncodeBatch encodes records as one v2 record batch that carries the
// producer identity and base sequence, with the transactional attribute
// when transactional is set. The result is what RawProduce sends; resending
// the same bytes lets the broker recognise a duplicate.
//
// lz4 is compressed here rather than by kafka-go, with 64 KiB blocks as the
// Java producer writes them: kafka-go's codec uses 4 MiB blocks, whose
// pooled buffers held 16-20 MB of a bridge that sends batches of at most
// KAFKA_BATCH_BYTES.
func EncodeBatch(records []kafka.Record, codec kafka.Compression, id Identity, baseSeq int32, transactional bool) ([]byte, error) {
	lz4Here := codec == kafka.Lz4
	if lz4Here {
		codec = 0
	}
	attrs := protocol.Attributes(codec)
	if transactional {
		attrs |= protocol.Transactional
	}
	rs := protocol.RecordSet{Version: 2, Attributes: attrs, Records: protocol.NewRecordReader(records...)}
	var buf bytes.Buffer
	if _, err := rs.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding a batch of %d records: %w", len(records), err)
	}
	b := buf.Bytes()
	if len(b) < headerEnd || b[offMagic] != 2 {
		return nil, fmt.Errorf("%w: %d bytes, magic %d", ErrEncoding, len(b), magicOf(b))
	}
	if n := binary.BigEndian.Uint32(b[offRecordCount:]); int(n) != len(records) {
		return nil, fmt.Errorf("%w: record count %d, want %d", ErrEncoding, n, len(records))
	}
	if got := protocol.Attributes(binary.BigEndian.Uint16(b[offAttributes:])); got != attrs {
		return nil, fmt.Errorf("%w: attributes %#x, want %#x", ErrEncoding, uint16(got), uint16(attrs))
	}
	if lz4Here {
		var err error
		if b, err = compressLz4(b); err != nil {
			return nil, err
		}
	}
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(id.ID))
	binary.BigEndian.PutUint16(b[offEpoch:], uint16(id.Epoch))
	binary.BigEndian.PutUint32(b[offBaseSeq:], uint32(baseSeq))
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b, nil
}

// compressLz4 replaces the records of the uncompressed batch b with one lz4
// frame and fixes the sizes and the compression attribute (the CRC is set
// afterwards).
func compressLz4(b []byte) ([]byte, error) {
	out := bytes.NewBuffer(make([]byte, 0, headerEnd+len(b)/2))
	out.Write(b[:headerEnd])
	zw := lz4.NewWriter(out)
	if err := zw.Apply(lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
		return nil, fmt.Errorf("configuring lz4: %w", err)
	}
	if _, err := zw.Write(b[headerEnd:]); err != nil {
		return nil, fmt.Errorf("compressing a batch: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing a batch: %w", err)
	}
	c := out.Bytes()
	binary.BigEndian.PutUint32(c[0:], uint32(len(c)-4))                             // the records field's size
	binary.BigEndian.PutUint32(c[offBatchLength:], uint32(len(c)-offBatchLength-4)) // after the length field
	attrs := binary.BigEndian.Uint16(c[offAttributes:])
	binary.BigEndian.PutUint16(c[offAttributes:], attrs|uint16(kafka.Lz4))
	return c, nil
}

func magicOf(b []byte) int {
	if len(b) <= offMagic {
		return -1
	}
	return int(b[offMagic])
}

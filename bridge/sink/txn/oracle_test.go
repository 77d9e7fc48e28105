package txn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// oracleEncodeBatch is how batches were encoded before this package wrote
// them itself: kafka-go's protocol.RecordSet, then the producer fields and
// the CRC patched in, and lz4 compressed here with 64 KiB blocks. It is
// kept, unchanged but for the lz4 options it shares with the encoder, as
// the reference the encoder must match byte for byte (uncompressed and
// lz4), and as the baseline of BenchmarkEncodeBatch.
func oracleEncodeBatch(records []kafka.Record, codec kafka.Compression, id Identity, baseSeq int32, transactional bool) ([]byte, error) {
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
		return nil, fmt.Errorf("%w: %d bytes", ErrEncoding, len(b))
	}
	if n := binary.BigEndian.Uint32(b[offRecordCount:]); int(n) != len(records) {
		return nil, fmt.Errorf("%w: record count %d, want %d", ErrEncoding, n, len(records))
	}
	if got := protocol.Attributes(binary.BigEndian.Uint16(b[offAttributes:])); got != attrs {
		return nil, fmt.Errorf("%w: attributes %#x, want %#x", ErrEncoding, uint16(got), uint16(attrs))
	}
	if lz4Here {
		var err error
		if b, err = oracleCompressLz4(b); err != nil {
			return nil, err
		}
	}
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(id.ID))
	binary.BigEndian.PutUint16(b[offEpoch:], uint16(id.Epoch))
	binary.BigEndian.PutUint32(b[offBaseSeq:], uint32(baseSeq))
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b, nil
}

func oracleCompressLz4(b []byte) ([]byte, error) {
	out := bytes.NewBuffer(make([]byte, 0, headerEnd+len(b)/2))
	out.Write(b[:headerEnd])
	zw := lz4.NewWriter(out)
	if err := zw.Apply(lz4Options()...); err != nil {
		return nil, fmt.Errorf("configuring lz4: %w", err)
	}
	if _, err := zw.Write(b[headerEnd:]); err != nil {
		return nil, fmt.Errorf("compressing a batch: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing a batch: %w", err)
	}
	c := out.Bytes()
	binary.BigEndian.PutUint32(c[0:], uint32(len(c)-4))
	binary.BigEndian.PutUint32(c[offBatchLength:], uint32(len(c)-offBatchLength-4))
	attrs := binary.BigEndian.Uint16(c[offAttributes:])
	binary.BigEndian.PutUint16(c[offAttributes:], attrs|uint16(kafka.Lz4))
	return c, nil
}

package txn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Offsets into the bytes protocol.RecordSet.WriteTo produces for a v2 batch
// (a 4-byte size prefix, then the batch header). The header is never
// compressed, so producer fields can be set after encoding.
const (
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
func EncodeBatch(records []kafka.Record, codec kafka.Compression, id Identity, baseSeq int32, transactional bool) ([]byte, error) {
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
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(id.ID))
	binary.BigEndian.PutUint16(b[offEpoch:], uint16(id.Epoch))
	binary.BigEndian.PutUint32(b[offBaseSeq:], uint32(baseSeq))
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b, nil
}

func magicOf(b []byte) int {
	if len(b) <= offMagic {
		return -1
	}
	return int(b[offMagic])
}
